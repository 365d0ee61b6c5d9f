// SPDX-License-Identifier: Apache-2.0
#include "store/catalog.h"

#include <rocksdb/db.h>
#include <rocksdb/options.h>

namespace roentgen::store {
namespace {

// Key layout: kind \0 tenant \0 name. Kinds and tenants never contain \0 (they are ours or
// validated account ids); names may, and sort after the prefix regardless.
std::string MakePrefix(std::string_view kind, const model::TenantId& tenant) {
  std::string key(kind);
  key.push_back('\0');
  key += tenant;
  key.push_back('\0');
  return key;
}

Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return Status();
  if (status.IsNotFound()) return NotFoundError(what);
  if (status.IsCorruption()) return CorruptionError("catalog: " + status.ToString());
  return IoError("catalog: " + status.ToString());
}

class RocksCatalog final : public Catalog {
 public:
  explicit RocksCatalog(std::unique_ptr<rocksdb::DB> db) : db_(std::move(db)) {
    write_options_.sync = true;
  }

  Status Put(std::string_view kind, const model::TenantId& tenant, std::string_view name,
             std::string_view value) override {
    std::string key = MakePrefix(kind, tenant);
    key += name;
    return FromRocks(db_->Put(write_options_, key, rocksdb::Slice(value.data(), value.size())),
                     name);
  }

  Result<std::string> Get(std::string_view kind, const model::TenantId& tenant,
                          std::string_view name) override {
    std::string key = MakePrefix(kind, tenant);
    key += name;
    std::string value;
    rocksdb::Status status = db_->Get(rocksdb::ReadOptions(), key, &value);
    if (!status.ok()) return FromRocks(status, name);
    return value;
  }

  Status Delete(std::string_view kind, const model::TenantId& tenant,
                std::string_view name) override {
    std::string key = MakePrefix(kind, tenant);
    key += name;
    return FromRocks(db_->Delete(write_options_, key), name);
  }

  Result<std::vector<std::pair<std::string, std::string>>> List(
      std::string_view kind, const model::TenantId& tenant) override {
    std::string prefix = MakePrefix(kind, tenant);
    std::vector<std::pair<std::string, std::string>> entries;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      std::string_view key(it->key().data(), it->key().size());
      entries.emplace_back(std::string(key.substr(prefix.size())), it->value().ToString());
    }
    if (!it->status().ok()) return FromRocks(it->status(), "list");
    return entries;
  }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  rocksdb::WriteOptions write_options_;
};

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& dir) {
  rocksdb::Options options;
  options.create_if_missing = true;
  options.max_open_files = 64;
  options.keep_log_file_num = 2;
  options.write_buffer_size = 4 << 20;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status status = rocksdb::DB::Open(options, dir, &raw);
  if (!status.ok()) return IoError("catalog: open " + dir + ": " + status.ToString());
  return std::unique_ptr<Catalog>(new RocksCatalog(std::unique_ptr<rocksdb::DB>(raw)));
}

}  // namespace roentgen::store
