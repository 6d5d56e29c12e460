// Read-only access to bgsave RocksDB checkpoints.
