if(RG_SANITIZE)
  set(_rg_san_flags -fsanitize=${RG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_compile_options(${_rg_san_flags})
  add_link_options(${_rg_san_flags})
endif()

# With libFuzzer, instrument all code for coverage (not only the fuzz executables), so that
# the fuzzers see the edges of the libraries they drive. The sanitizer runtimes provide the
# coverage callbacks for the executables that do not link libFuzzer (unit tests).
if(RG_ENABLE_LIBFUZZER)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
