# Storage I/O layer: the FileSystem seam and the write-ahead log. Included from
# src/store/CMakeLists.txt, so paths are relative to src/store/.
roentgen_library(NAME store_io
  HDRS file_system.h
       internal/path.h
       wal/log_format.h wal/log_writer.h wal/log_reader.h wal/wal_record.h wal/wal_manager.h
  SRCS internal/path.cc
       internal/posix_file_system.cc
       internal/mem_file_system.cc
       internal/fault_injection_file_system.cc
       wal/log_writer.cc wal/log_reader.cc wal/wal_record.cc wal/wal_manager.cc
  DEPS roentgen::base)

roentgen_test(NAME store_file_system_test SRCS file_system_test.cc
  DEPS roentgen::store_io LABELS unit)
roentgen_test(NAME store_wal_log_test SRCS wal/log_test.cc
  DEPS roentgen::store_io LABELS unit)
roentgen_test(NAME store_wal_manager_test SRCS wal/wal_manager_test.cc
  DEPS roentgen::store_io LABELS unit)

roentgen_fuzz(NAME store_log_reader_fuzz SRCS wal/log_reader_fuzz.cc
  CORPUS wal/testdata/log_reader_corpus DEPS roentgen::store_io)

roentgen_benchmark(NAME store_wal_benchmark SRCS wal/wal_benchmark.cc
  DEPS roentgen::store_io)
