// SPDX-License-Identifier: Apache-2.0
#include "store/file_system.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sys/wait.h>

namespace roentgen::store {
namespace {

// A fresh directory under /tmp for the posix tests; removed at the end.
class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/rg_fs_test.XXXXXX";
    const char* made = ::mkdtemp(pattern);
    EXPECT_NE(made, nullptr);
    path_ = made != nullptr ? made : "/tmp/rg_fs_test.failed";
  }
  ~TempDir() { (void)NewPosixFileSystem()->DeleteDirRecursive(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

Status WriteFile(FileSystem& fs, const std::string& path, std::string_view contents, bool sync) {
  auto file = fs.NewWritableFile(path);
  if (!file.ok()) return file.error();
  Status status = (*file)->Append(contents);
  if (status.ok() && sync) status = (*file)->Sync();
  if (status.ok()) status = (*file)->Close();
  return status;
}

std::string ReadAll(FileSystem& fs, const std::string& path) {
  auto contents = fs.ReadFileToString(path, 1 << 30);
  EXPECT_TRUE(contents.ok()) << contents.error().ToString();
  return contents.ok() ? *contents : std::string();
}

// The behaviour every FileSystem shares, run against posix (in a temp dir) and memory.
class FileSystemContractTest : public ::testing::TestWithParam<bool> {
 protected:
  FileSystemContractTest()
      : fs_(GetParam() ? NewPosixFileSystem() : NewMemFileSystem()),
        root_(GetParam() ? temp_.path() : std::string("/mem")) {
    EXPECT_TRUE(fs_->CreateDirs(root_).ok());
  }
  std::string Path(std::string_view name) const { return JoinPath(root_, name); }

  TempDir temp_;
  std::unique_ptr<FileSystem> fs_;
  std::string root_;
};

TEST_P(FileSystemContractTest, WriteThenReadBack) {
  auto file = fs_->NewWritableFile(Path("a"));
  ASSERT_TRUE(file.ok()) << file.error().ToString();
  EXPECT_EQ((*file)->size(), 0u);
  ASSERT_TRUE((*file)->Append("hello ").ok());
  ASSERT_TRUE((*file)->Append(std::string(100000, 'x')).ok());  // larger than the buffer
  ASSERT_TRUE((*file)->Append("world").ok());
  EXPECT_EQ((*file)->size(), 6u + 100000u + 5u);
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_TRUE((*file)->Close().ok());  // idempotent
  EXPECT_EQ((*file)->Append("late").code(), StatusCode::kFailedPrecondition);

  std::string contents = ReadAll(*fs_, Path("a"));
  EXPECT_EQ(contents, "hello " + std::string(100000, 'x') + "world");
  EXPECT_EQ(*fs_->GetFileSize(Path("a")), contents.size());
  EXPECT_TRUE(fs_->FileExists(Path("a")));
  EXPECT_FALSE(fs_->FileExists(Path("b")));
}

TEST_P(FileSystemContractTest, FlushMakesBytesVisibleToReaders) {
  auto file = fs_->NewWritableFile(Path("a"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append("abc").ok());
  ASSERT_TRUE((*file)->Flush().ok());
  EXPECT_EQ(ReadAll(*fs_, Path("a")), "abc");
}

TEST_P(FileSystemContractTest, NewWritableFileTruncatesAndAppendableAppends) {
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), "old contents", false).ok());
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), "new", false).ok());
  EXPECT_EQ(ReadAll(*fs_, Path("a")), "new");

  auto file = fs_->NewAppendableFile(Path("a"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->size(), 3u);
  ASSERT_TRUE((*file)->Append("+more").ok());
  EXPECT_EQ((*file)->size(), 8u);
  ASSERT_TRUE((*file)->Close().ok());
  EXPECT_EQ(ReadAll(*fs_, Path("a")), "new+more");

  auto created = fs_->NewAppendableFile(Path("fresh"));
  ASSERT_TRUE(created.ok());
  EXPECT_EQ((*created)->size(), 0u);
}

TEST_P(FileSystemContractTest, RandomAccessReads) {
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), "0123456789", false).ok());
  auto file = fs_->NewRandomAccessFile(Path("a"));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ((*file)->size(), 10u);
  std::string scratch;
  EXPECT_EQ(*(*file)->Read(2, 3, &scratch), "234");
  EXPECT_EQ(*(*file)->Read(8, 10, &scratch), "89");  // short at the end
  EXPECT_EQ(*(*file)->Read(10, 4, &scratch), "");
  EXPECT_EQ(*(*file)->Read(1000, 4, &scratch), "");
}

TEST_P(FileSystemContractTest, SequentialReadsAndSkips) {
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), "0123456789", false).ok());
  auto file = fs_->NewSequentialFile(Path("a"));
  ASSERT_TRUE(file.ok());
  std::string scratch;
  EXPECT_EQ(*(*file)->Read(3, &scratch), "012");
  ASSERT_TRUE((*file)->Skip(2).ok());
  EXPECT_EQ(*(*file)->Read(3, &scratch), "567");
  EXPECT_EQ(*(*file)->Read(100, &scratch), "89");
  EXPECT_EQ(*(*file)->Read(100, &scratch), "");
  ASSERT_TRUE((*file)->Skip(100).ok());
  EXPECT_EQ(*(*file)->Read(1, &scratch), "");
}

TEST_P(FileSystemContractTest, ReadFileToStringEnforcesLimit) {
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), std::string(1000, 'z'), false).ok());
  EXPECT_EQ(fs_->ReadFileToString(Path("a"), 1000)->size(), 1000u);
  auto too_big = fs_->ReadFileToString(Path("a"), 999);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().code(), StatusCode::kOutOfRange);
  EXPECT_NE(too_big.error().message().find(Path("a")), std::string_view::npos);
}

TEST_P(FileSystemContractTest, MissingFilesAreNotFoundAndNamed) {
  for (Status status :
       {fs_->NewSequentialFile(Path("nope")).error(),
        fs_->NewRandomAccessFile(Path("nope")).error(),
        fs_->ReadFileToString(Path("nope"), 10).error(), fs_->GetFileSize(Path("nope")).error(),
        fs_->DeleteFile(Path("nope")), fs_->RenameFile(Path("nope"), Path("other"))}) {
    EXPECT_EQ(status.code(), StatusCode::kNotFound) << status.ToString();
    EXPECT_NE(status.message().find(Path("nope")), std::string_view::npos) << status.ToString();
  }
  // The parent directory must exist.
  auto orphan = fs_->NewWritableFile(Path("no/such/dir/file"));
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().code(), StatusCode::kNotFound);
  EXPECT_EQ(fs_->ListDir(Path("nodir")).error().code(), StatusCode::kNotFound);
}

TEST_P(FileSystemContractTest, DirectoriesListCreateDelete) {
  ASSERT_TRUE(fs_->CreateDirs(Path("d/e/f")).ok());
  ASSERT_TRUE(fs_->CreateDirs(Path("d/e/f")).ok());  // exists already: fine
  ASSERT_TRUE(WriteFile(*fs_, Path("d/b.txt"), "b", false).ok());
  ASSERT_TRUE(WriteFile(*fs_, Path("d/a.txt"), "a", false).ok());
  ASSERT_TRUE(WriteFile(*fs_, Path("d/e/deep"), "x", false).ok());
  auto names = fs_->ListDir(Path("d"));
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"a.txt", "b.txt", "e"}));
  EXPECT_EQ(*fs_->ListDir(Path("d/e/f")), std::vector<std::string>{});
  ASSERT_TRUE(fs_->SyncDir(Path("d")).ok());

  ASSERT_TRUE(fs_->DeleteFile(Path("d/a.txt")).ok());
  EXPECT_FALSE(fs_->FileExists(Path("d/a.txt")));
  ASSERT_TRUE(fs_->DeleteDirRecursive(Path("d")).ok());
  EXPECT_FALSE(fs_->FileExists(Path("d")));
  EXPECT_FALSE(fs_->FileExists(Path("d/e/deep")));
  EXPECT_TRUE(fs_->DeleteDirRecursive(Path("d")).ok());  // missing: fine
  EXPECT_TRUE(fs_->FileExists(root_));
}

TEST_P(FileSystemContractTest, RenameReplacesAtomically) {
  ASSERT_TRUE(WriteFile(*fs_, Path("tmp"), "new", true).ok());
  ASSERT_TRUE(WriteFile(*fs_, Path("current"), "old", true).ok());
  ASSERT_TRUE(fs_->RenameFile(Path("tmp"), Path("current")).ok());
  EXPECT_FALSE(fs_->FileExists(Path("tmp")));
  EXPECT_EQ(ReadAll(*fs_, Path("current")), "new");
  ASSERT_TRUE(fs_->SyncDir(root_).ok());
}

TEST_P(FileSystemContractTest, OpenHandleOutlivesDelete) {
  ASSERT_TRUE(WriteFile(*fs_, Path("a"), "still here", false).ok());
  auto file = fs_->NewRandomAccessFile(Path("a"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs_->DeleteFile(Path("a")).ok());
  std::string scratch;
  EXPECT_EQ(*(*file)->Read(0, 100, &scratch), "still here");
}

TEST_P(FileSystemContractTest, LockFileIsExclusiveUntilReleased) {
  auto lock = fs_->LockFile(Path("LOCK"));
  ASSERT_TRUE(lock.ok()) << lock.error().ToString();
  auto second = fs_->LockFile(Path("LOCK"));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(second.error().message().find(Path("LOCK")), std::string_view::npos);
  lock->reset();
  auto third = fs_->LockFile(Path("LOCK"));
  EXPECT_TRUE(third.ok());
}

TEST_P(FileSystemContractTest, ConcurrentWritersOnDifferentFiles) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      std::string path = Path("t" + std::to_string(thread_idx));
      auto file = fs_->NewWritableFile(path);
      ASSERT_TRUE(file.ok());
      for (int chunk = 0; chunk < 1000; ++chunk) ASSERT_TRUE((*file)->Append("0123456789").ok());
      ASSERT_TRUE((*file)->Close().ok());
      (void)fs_->ListDir(root_);
    });
  }
  for (auto& thread : threads) thread.join();
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    EXPECT_EQ(*fs_->GetFileSize(Path("t" + std::to_string(thread_idx))), 10000u);
  }
}

INSTANTIATE_TEST_SUITE_P(Impl, FileSystemContractTest, ::testing::Values(true, false),
                         [](const auto& info) { return info.param ? "Posix" : "Mem"; });

TEST(PosixFileSystem, LockConflictsAcrossProcessesAndNamesHolder) {
  TempDir temp;
  auto fs = NewPosixFileSystem();
  std::string lock_path = JoinPath(temp.path(), "LOCK");
  auto lock = fs->LockFile(lock_path);
  ASSERT_TRUE(lock.ok());
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto child_fs = NewPosixFileSystem();
    auto second = child_fs->LockFile(lock_path);
    bool named =
        !second.ok() && second.error().message().find("pid " + std::to_string(::getppid())) !=
                            std::string_view::npos;
    ::_exit(!second.ok() && second.error().code() == StatusCode::kFailedPrecondition && named ? 0
                                                                                              : 1);
  }
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFEXITED(wait_status));
  EXPECT_EQ(WEXITSTATUS(wait_status), 0);
}

TEST(PosixFileSystem, ErrorsNameThePathAndReason) {
  auto fs = NewPosixFileSystem();
  auto file = fs->NewWritableFile("/proc/definitely/not/writable");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.error().message().find("/proc/definitely/not/writable"), std::string_view::npos);
  auto dir = fs->SyncDir("/nonexistent-rg-dir");
  EXPECT_EQ(dir.code(), StatusCode::kNotFound);
  EXPECT_NE(dir.message().find("No such file or directory"), std::string_view::npos);
}

TEST(MemFileSystem, PathsAreNormalized) {
  auto fs = NewMemFileSystem();
  ASSERT_TRUE(fs->CreateDirs("/a//b/").ok());
  ASSERT_TRUE(WriteFile(*fs, "/a/b//c", "x", false).ok());
  EXPECT_TRUE(fs->FileExists("/a/b/c"));
  EXPECT_EQ(*fs->ListDir("/a/"), std::vector<std::string>{"b"});
  EXPECT_EQ(*fs->ListDir("/"), std::vector<std::string>{"a"});
  ASSERT_TRUE(WriteFile(*fs, "relative", "y", false).ok());
  EXPECT_EQ(*fs->ListDir(""), std::vector<std::string>{"relative"});
}

TEST(JoinPath, AddsOneSeparator) {
  EXPECT_EQ(JoinPath("/a", "b"), "/a/b");
  EXPECT_EQ(JoinPath("/a/", "b"), "/a/b");
  EXPECT_EQ(JoinPath("", "b"), "b");
}

// ---- FaultInjectionFileSystem ----

class FaultInjectionTest : public ::testing::Test {
 protected:
  FaultInjectionTest() : base_(NewMemFileSystem()), fs_(*base_) {
    EXPECT_TRUE(fs_.CreateDirs("/db").ok());
  }
  std::string BaseContents(const std::string& path) { return ReadAll(*base_, path); }

  std::unique_ptr<FileSystem> base_;
  FaultInjectionFileSystem fs_;
};

TEST_F(FaultInjectionTest, UnsyncedBytesAreDroppedSyncedKept) {
  auto file = fs_.NewWritableFile("/db/f");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE((*file)->Append("durable").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append("+lost").ok());
  EXPECT_EQ(fs_.unsynced_bytes(), 5u);
  EXPECT_EQ(BaseContents("/db/f"), "durable+lost");  // every append reaches the base
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(BaseContents("/db/f"), "durable");
  EXPECT_EQ(fs_.unsynced_bytes(), 0u);
  // The old handle is dead and does not resurrect anything.
  EXPECT_EQ((*file)->Append("zombie").code(), StatusCode::kIoError);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kIoError);
  file->reset();
  EXPECT_EQ(BaseContents("/db/f"), "durable");
}

TEST_F(FaultInjectionTest, FileWhoseDirectoryWasNeverSyncedDisappears) {
  ASSERT_TRUE(WriteFile(fs_, "/db/new", "synced data", /*sync=*/true).ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_FALSE(base_->FileExists("/db/new"));

  ASSERT_TRUE(WriteFile(fs_, "/db/new", "synced data", /*sync=*/true).ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(BaseContents("/db/new"), "synced data");
}

TEST_F(FaultInjectionTest, SyncDirOfAnotherDirectoryDoesNotHelp) {
  ASSERT_TRUE(fs_.CreateDirs("/other").ok());
  ASSERT_TRUE(WriteFile(fs_, "/db/new", "x", true).ok());
  ASSERT_TRUE(fs_.SyncDir("/other").ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_FALSE(base_->FileExists("/db/new"));
}

TEST_F(FaultInjectionTest, PreexistingFilesAreDurable) {
  ASSERT_TRUE(WriteFile(*base_, "/db/old", "from before", false).ok());
  auto file = fs_.NewAppendableFile("/db/old");
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(" and after").ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(BaseContents("/db/old"), "from before");
}

TEST_F(FaultInjectionTest, UnsyncedRenameIsUndone) {
  ASSERT_TRUE(WriteFile(fs_, "/db/CURRENT", "v1", true).ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(WriteFile(fs_, "/db/CURRENT.tmp", "v2", true).ok());
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  EXPECT_EQ(BaseContents("/db/CURRENT"), "v2");
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  // The rename is undone, the old file is back, and the never-synced tmp name is gone.
  EXPECT_EQ(BaseContents("/db/CURRENT"), "v1");
  EXPECT_FALSE(base_->FileExists("/db/CURRENT.tmp"));
}

TEST_F(FaultInjectionTest, SyncedRenameSurvives) {
  ASSERT_TRUE(WriteFile(fs_, "/db/CURRENT", "v1", true).ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(WriteFile(fs_, "/db/CURRENT.tmp", "v2", true).ok());
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(BaseContents("/db/CURRENT"), "v2");
  EXPECT_FALSE(base_->FileExists("/db/CURRENT.tmp"));
}

TEST_F(FaultInjectionTest, RenameOfUnsyncedDataLosesTheData) {
  // The classic bug: write tmp, rename, SyncDir, but never Sync the data.
  ASSERT_TRUE(WriteFile(fs_, "/db/CURRENT.tmp", "v2", /*sync=*/false).ok());
  ASSERT_TRUE(fs_.RenameFile("/db/CURRENT.tmp", "/db/CURRENT").ok());
  ASSERT_TRUE(fs_.SyncDir("/db").ok());
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(BaseContents("/db/CURRENT"), "");
}

TEST_F(FaultInjectionTest, KeepRandomPrefixKeepsAPrefix) {
  for (uint64_t seed = 0; seed < 20; ++seed) {
    auto file = fs_.NewWritableFile("/db/f");
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(fs_.SyncDir("/db").ok());
    ASSERT_TRUE((*file)->Append("synced|").ok());
    ASSERT_TRUE((*file)->Sync().ok());
    ASSERT_TRUE((*file)->Append("0123456789").ok());
    ASSERT_TRUE(
        fs_.SimulatePowerCut({.unsynced_data = UnsyncedData::kKeepRandomPrefix, .seed = seed})
            .ok());
    std::string contents = BaseContents("/db/f");
    EXPECT_EQ(std::string("synced|0123456789").substr(0, contents.size()), contents);
    EXPECT_GE(contents.size(), 7u);
  }
}

TEST_F(FaultInjectionTest, InjectedErrorsFailTheNextOperations) {
  auto file = fs_.NewWritableFile("/db/f");
  ASSERT_TRUE(file.ok());
  fs_.InjectErrors(FaultKind::kWrite, 2);
  EXPECT_EQ(fs_.pending_injected_errors(FaultKind::kWrite), 2);
  Status failed = (*file)->Append("a");
  EXPECT_EQ(failed.code(), StatusCode::kIoError);
  EXPECT_NE(failed.message().find("/db/f"), std::string_view::npos);
  EXPECT_EQ((*file)->Append("b").code(), StatusCode::kIoError);
  EXPECT_TRUE((*file)->Append("c").ok());
  EXPECT_EQ(BaseContents("/db/f"), "c");  // failed appends wrote nothing

  fs_.InjectErrors(FaultKind::kSync, 1);
  EXPECT_EQ((*file)->Sync().code(), StatusCode::kIoError);
  EXPECT_EQ(fs_.unsynced_bytes(), 1u);  // the failed sync made nothing durable
  EXPECT_TRUE((*file)->Sync().ok());

  fs_.InjectErrors(FaultKind::kSync, 1);
  EXPECT_EQ(fs_.SyncDir("/db").code(), StatusCode::kIoError);

  fs_.InjectErrors(FaultKind::kMetadata, 1);
  EXPECT_EQ(fs_.NewWritableFile("/db/g").error().code(), StatusCode::kIoError);
  EXPECT_FALSE(base_->FileExists("/db/g"));
  EXPECT_TRUE(fs_.NewWritableFile("/db/g").ok());

  fs_.InjectErrors(FaultKind::kWrite, 5);
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  EXPECT_EQ(fs_.pending_injected_errors(FaultKind::kWrite), 0);
}

TEST_F(FaultInjectionTest, ConcurrentUseIsSafe) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&, thread_idx] {
      auto file = fs_.NewWritableFile("/db/t" + std::to_string(thread_idx));
      ASSERT_TRUE(file.ok());
      for (int chunk = 0; chunk < 200; ++chunk) {
        ASSERT_TRUE((*file)->Append("0123456789").ok());
        if (chunk % 50 == 0) {
          ASSERT_TRUE((*file)->Sync().ok());
          ASSERT_TRUE(fs_.SyncDir("/db").ok());
        }
        (void)fs_.unsynced_bytes();
      }
    });
  }
  for (auto& thread : threads) thread.join();
  ASSERT_TRUE(fs_.SimulatePowerCut().ok());
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    // Synced at chunk 150, after 151 appends.
    EXPECT_EQ(*base_->GetFileSize("/db/t" + std::to_string(thread_idx)), 1510u);
  }
}

TEST(FaultInjectionPosix, PowerCutOnRealFiles) {
  TempDir temp;
  auto base = NewPosixFileSystem();
  FaultInjectionFileSystem fs(*base);
  std::string dir = JoinPath(temp.path(), "db");
  ASSERT_TRUE(fs.CreateDirs(dir).ok());
  auto file = fs.NewWritableFile(JoinPath(dir, "f"));
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE(fs.SyncDir(dir).ok());
  ASSERT_TRUE((*file)->Append("kept").ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE((*file)->Append("dropped").ok());
  ASSERT_TRUE(WriteFile(fs, JoinPath(dir, "unsynced-entry"), "x", true).ok());
  ASSERT_TRUE(fs.SimulatePowerCut().ok());
  EXPECT_EQ(ReadAll(*base, JoinPath(dir, "f")), "kept");
  EXPECT_FALSE(base->FileExists(JoinPath(dir, "unsynced-entry")));
}

}  // namespace
}  // namespace roentgen::store
