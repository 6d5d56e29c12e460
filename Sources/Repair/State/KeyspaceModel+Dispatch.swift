/// Which handler replays which command. Names are compared in lower case; which arguments are
/// keys, and which commands only read, is ``CommandCatalogue``'s.
extension KeyspaceModel {
    mutating func dispatch(_ it: ModelItem, continuesWholeWrite: Bool) throws -> RewriteDecision {
        switch it.name {
        // Strings
        case "set": return try set(it)
        case "pksetexat": return try pksetexat(it)
        case "setex", "psetex": return try setex(it)
        case "setnx": return try setnx(it)
        case "getset": return try getset(it)
        case "mset": return try mset(it)
        case "msetnx": return try msetnx(it)
        case "append": return try append(it)
        case "setrange": return try setrange(it)
        case "setbit": return try setbit(it)
        case "incr", "decr", "incrby", "decrby": return try incrby(it)
        case "incrbyfloat": return try incrbyfloat(it)
        case "bitop": return try bitop(it)
        case "pfadd": return pfadd(it)
        case "pfmerge": return pfmerge(it)
        // Keys
        case "del", "unlink": return del(it)
        case "delvx": return try delvx(it)
        case "expire", "pexpire", "expireat", "pexpireat": return try expire(it)
        case "persist": return try persist(it)
        case "flushdb", "flushall": return flush(it)
        case "pkpatternmatchdel": return try patternDelete(it)
        case "padding": return .drop
        case "rename", "renamenx", "copy":
            return unmodelled(it, keys: Array(it.args.dropFirst().prefix(2)))
        case "move", "swapdb", "slotsdel", "slotsmgrtslot", "slotsmgrttagslot", "slotsmgrtone", "slotsmgrttagone",
            "slotsmgrtslot-async", "slotsmgrttagslot-async", "slotsmgrt-exec-wrapper":
            return unmodelledDataset(it)
        // Hashes
        case "hset", "hmset": return try hset(it)
        case "hsetnx": return try hsetnx(it)
        case "hdel": return try hdel(it)
        case "hincrby": return try hincrby(it)
        case "hincrbyfloat": return try hincrbyfloat(it)
        // Lists
        case "lpush", "rpush", "lpushx", "rpushx": return try push(it, continuesWholeWrite: continuesWholeWrite)
        case "lpop", "rpop": return try pop(it)
        case "blpop", "brpop": return try blockingPop(it)
        case "linsert": return try linsert(it)
        case "lset": return try lset(it)
        case "lrem": return try lrem(it)
        case "ltrim": return try ltrim(it)
        case "rpoplpush", "brpoplpush", "lmove", "blmove": return try move(it)
        // Sets
        case "sadd": return try sadd(it)
        case "srem": return try srem(it)
        case "spop": return try spop(it)
        case "smove": return try smove(it)
        case "sunionstore", "sinterstore", "sdiffstore": return try setStore(it)
        // Sorted sets
        case "zadd": return try zadd(it)
        case "zincrby": return try zincrby(it)
        case "zrem": return try zrem(it)
        case "zremrangebyscore", "zremrangebylex": return try zremrangeByValue(it)
        case "zremrangebyrank": return try zremrangebyrank(it)
        case "zpopmin", "zpopmax": return try zpop(it)
        case "zunionstore", "zinterstore": return try zstore(it)
        case "geoadd":
            forget(it.key, "GEOADD scores (geohashes) are not modelled")
            return .keepUnmodelled(key: it.key, reason: "GEOADD scores (geohashes) are not modelled")
        // Streams
        case "xadd": return try xadd(it)
        case "xdel": return try xdel(it)
        case "xtrim": return try xtrim(it)
        default:
            if CommandCatalogue.isReadOnly(it.name) { return .keep }
            return unmodelled(it, keys: it.args.count > 1 ? [it.key] : [])
        }
    }
}
