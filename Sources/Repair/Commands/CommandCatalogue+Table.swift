/// The commands, by family. Replay safety follows Docs/Format.md §C2, the logged forms §C1.
extension CommandCatalogue {
    static let strings: [CommandSpec] = [
        CommandSpec("set", .string, writes: .first, replay: .unsafeWithRelativeExpiry, rewrite: .set),
        CommandSpec(
            "pksetexat", .string, writes: .first, expiry: ExpiryRule(subject: .stringValue, time: .pksetexat),
            replicaRules: [.pksetexatMilliseconds], rewrite: .pksetexat),
        CommandSpec(
            "setex", .string, writes: .first, replay: .unsafe,
            expiry: ExpiryRule(subject: .stringValue, time: .relativeSeconds)),
        CommandSpec(
            "psetex", .string, writes: .first, replay: .unsafe,
            expiry: ExpiryRule(subject: .stringValue, time: .relativeMilliseconds)),
        CommandSpec("setnx", .string, writes: .first, replay: .unsafe),
        CommandSpec("getset", .string, writes: .first, rewrite: .getset),
        CommandSpec("mset", .string, writes: .alternate, rewrite: .mset),
        CommandSpec("msetnx", .string, writes: .alternate, replay: .unsafe, rewrite: .msetnx),
        CommandSpec("append", .string, writes: .first, replay: .unsafe),
        CommandSpec("setrange", .string, writes: .first),
        CommandSpec("setbit", .string, writes: .first),
        CommandSpec("incr", .string, writes: .first, replay: .unsafe),
        CommandSpec("decr", .string, writes: .first, replay: .unsafe),
        CommandSpec("incrby", .string, writes: .first, replay: .unsafe),
        CommandSpec("decrby", .string, writes: .first, replay: .unsafe),
        CommandSpec("incrbyfloat", .string, writes: .first, replay: .unsafe),
        CommandSpec("getdel", .string, writes: .first),
        CommandSpec("getex", .string, writes: .first),
        CommandSpec("bitop", .string, writes: .second, reads: .from(3), replay: .unsafe),
        CommandSpec("pfadd", .hyperLogLog, writes: .first),
        CommandSpec("pfmerge", .hyperLogLog, writes: .first, reads: .from(1), replay: .unsafe),
    ]

    static let keyspace: [CommandSpec] = [
        CommandSpec("del", .keyspace, writes: .from(1), rewrite: .del),
        CommandSpec("unlink", .keyspace, writes: .from(1), rewrite: .del),
        CommandSpec("delvx", .keyspace, writes: .first),
        CommandSpec(
            "expire", .keyspace, writes: .first, replay: .unsafe,
            expiry: ExpiryRule(subject: .key, time: .relativeSeconds)),
        CommandSpec(
            "pexpire", .keyspace, writes: .first, replay: .unsafe,
            expiry: ExpiryRule(subject: .key, time: .relativeMilliseconds)),
        CommandSpec("expireat", .keyspace, writes: .first, expiry: ExpiryRule(subject: .key, time: .absoluteSeconds)),
        CommandSpec(
            "pexpireat", .keyspace, writes: .first, expiry: ExpiryRule(subject: .key, time: .absoluteMilliseconds)),
        CommandSpec("persist", .keyspace, writes: .first),
        CommandSpec("flushdb", .keyspace, writes: .every, rewrite: .flush),
        CommandSpec("flushall", .keyspace, writes: .every, rewrite: .flush),
        CommandSpec("pkpatternmatchdel", .keyspace, writes: .every, rewrite: .flush),
        CommandSpec("rename", .keyspace, writes: .firstTwo, replay: .unsafe),
        CommandSpec("renamenx", .keyspace, writes: .firstTwo, replay: .unsafe),
        CommandSpec("copy", .keyspace, writes: .firstTwo),
        CommandSpec("move", .dataset, writes: .dataset),
        CommandSpec("swapdb", .dataset, writes: .dataset),
        CommandSpec("slotsdel", .dataset, writes: .dataset),
        CommandSpec("slotsmgrtslot", .dataset, writes: .dataset),
        CommandSpec("slotsmgrttagslot", .dataset, writes: .dataset),
        CommandSpec("slotsmgrtone", .dataset, writes: .dataset),
        CommandSpec("slotsmgrttagone", .dataset, writes: .dataset),
        CommandSpec("slotsmgrtslot-async", .dataset, writes: .dataset),
        CommandSpec("slotsmgrttagslot-async", .dataset, writes: .dataset),
        CommandSpec("slotsmgrt-exec-wrapper", .dataset, writes: .dataset),
        CommandSpec("padding", .padding, writes: .none, rewrite: .padding),
    ]

    static let hashes: [CommandSpec] = [
        CommandSpec("hset", .hash, writes: .first, rewrite: .hset),
        CommandSpec("hmset", .hash, writes: .first, rewrite: .hset),
        CommandSpec("hsetnx", .hash, writes: .first),
        CommandSpec("hdel", .hash, writes: .first),
        CommandSpec("hincrby", .hash, writes: .first, replay: .unsafe),
        CommandSpec("hincrbyfloat", .hash, writes: .first, replay: .unsafe),
    ]

    static let lists: [CommandSpec] = [
        CommandSpec("lpush", .list, writes: .first, replay: .unsafe, rewrite: .lpush),
        CommandSpec("lpushx", .list, writes: .first, replay: .unsafe, rewrite: .lpush),
        CommandSpec("rpush", .list, writes: .first, replay: .unsafe, rewrite: .rpush),
        CommandSpec("rpushx", .list, writes: .first, replay: .unsafe, rewrite: .rpush),
        CommandSpec("lpop", .list, writes: .first, replay: .unsafe),
        CommandSpec("rpop", .list, writes: .first, replay: .unsafe),
        CommandSpec("blpop", .list, writes: .allButLast, replay: .unsafe),
        CommandSpec("brpop", .list, writes: .allButLast, replay: .unsafe),
        CommandSpec("linsert", .list, writes: .first, replay: .unsafe),
        CommandSpec("lset", .list, writes: .first, replay: .unsafe),
        CommandSpec("lrem", .list, writes: .first, replay: .unsafeUnlessCountIsZero),
        CommandSpec("ltrim", .list, writes: .first, replay: .unsafe, rewrite: .ltrim),
        CommandSpec("rpoplpush", .list, writes: .firstTwo, reads: .firstTwo, replay: .unsafe),
        CommandSpec("brpoplpush", .list, writes: .firstTwo, reads: .firstTwo, replay: .unsafe),
        CommandSpec("lmove", .list, writes: .firstTwo, reads: .firstTwo, replay: .unsafe),
        CommandSpec("blmove", .list, writes: .firstTwo, reads: .firstTwo, replay: .unsafe),
    ]

    static let sets: [CommandSpec] = [
        CommandSpec("sadd", .set, writes: .first, rewrite: .sadd),
        CommandSpec("srem", .set, writes: .first),
        CommandSpec("spop", .set, writes: .first, replay: .unsafe),
        CommandSpec("smove", .set, writes: .firstTwo, reads: .firstTwo),
        CommandSpec("sunionstore", .set, writes: .first, reads: .from(2), replay: .unsafe),
        CommandSpec("sinterstore", .set, writes: .first, reads: .from(2), replay: .unsafe),
        CommandSpec("sdiffstore", .set, writes: .first, reads: .from(2), replay: .unsafe),
    ]

    static let sortedSets: [CommandSpec] = [
        CommandSpec("zadd", .zset, writes: .first, replay: .unsafeWithIncr, rewrite: .zadd),
        CommandSpec("zincrby", .zset, writes: .first, replay: .unsafe),
        CommandSpec("zrem", .zset, writes: .first),
        CommandSpec("zremrangebyscore", .zset, writes: .first),
        CommandSpec("zremrangebylex", .zset, writes: .first),
        CommandSpec("zremrangebyrank", .zset, writes: .first, replay: .unsafe),
        CommandSpec("zpopmin", .zset, writes: .first, replay: .unsafe),
        CommandSpec("zpopmax", .zset, writes: .first, replay: .unsafe),
        CommandSpec("zunionstore", .zset, writes: .first, reads: .counted, replay: .unsafe),
        CommandSpec("zinterstore", .zset, writes: .first, reads: .counted, replay: .unsafe),
    ]

    static let others: [CommandSpec] = [
        CommandSpec("geoadd", .geo, writes: .first),
        CommandSpec("xadd", .stream, writes: .first),
        CommandSpec("xdel", .stream, writes: .first),
        CommandSpec("xtrim", .stream, writes: .first),
    ]

    /// Commands that change nothing; harmless if they ever appear in a log.
    static let readOnly: [CommandSpec] = [
        "get", "mget", "exists", "ttl", "pttl", "type", "strlen", "getrange", "substr", "getbit", "bitcount",
        "bitpos", "hget", "hgetall", "hmget", "hkeys", "hvals", "hlen", "hexists", "hstrlen", "hscan", "hscanx",
        "llen", "lindex", "lrange", "scard", "smembers", "sismember", "srandmember", "sunion", "sinter", "sdiff",
        "sscan", "zcard", "zscore", "zrank", "zrevrank", "zrange", "zrevrange", "zrangebyscore",
        "zrevrangebyscore", "zrangebylex", "zrevrangebylex", "zcount", "zlexcount", "zscan", "pfcount", "xlen",
        "xrange", "xrevrange", "xread", "keys", "scan", "scanx", "ping", "echo", "info", "select", "auth",
        "dbsize", "time", "geopos", "geodist", "geohash", "pkscanrange", "pkrscanrange", "pkhscanrange",
        "pkhrscanrange",
    ].map { CommandSpec($0, .readOnly, writes: .none) }
}
