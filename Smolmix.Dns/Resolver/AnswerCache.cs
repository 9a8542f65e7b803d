namespace Smolmix.Dns.Resolver;

/// <summary>
/// A size-capped, least-recently-used cache of answers, positive and negative. Entries are kept past
/// their TTL (for serve-stale) until the stale window closes or the size cap pushes them out.
/// </summary>
internal sealed class AnswerCache
{
    private readonly object _lock = new();
    private readonly Dictionary<CacheKey, LinkedListNode<(CacheKey Key, CachedAnswer Answer)>> _map = new();
    private readonly LinkedList<(CacheKey Key, CachedAnswer Answer)> _lru = new();
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly TimeSpan _staleWindow;

    public AnswerCache(int capacity, TimeProvider time, TimeSpan staleWindow)
    {
        _capacity = capacity;
        _time = time;
        _staleWindow = staleWindow;
    }

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _map.Count;
            }
        }
    }

    /// <summary>Stores an answer (replacing any older one) unless the cache is off or the TTL is zero.</summary>
    public void Store(CacheKey key, CachedAnswer answer)
    {
        if (_capacity == 0 || answer.TimeToLive <= TimeSpan.Zero)
        {
            return;
        }

        lock (_lock)
        {
            if (_map.TryGetValue(key, out var old))
            {
                _lru.Remove(old);
            }

            _map[key] = _lru.AddFirst((key, answer));
            while (_map.Count > _capacity)
            {
                var last = _lru.Last!;
                _lru.RemoveLast();
                _map.Remove(last.Value.Key);
            }
        }
    }

    /// <summary>
    /// Looks a question up. Returns the entry and how long it has been stored; the caller decides
    /// whether it is fresh (age &lt; TTL) or stale. Entries past the stale window are removed.
    /// </summary>
    public bool TryGet(CacheKey key, out CachedAnswer answer, out TimeSpan age)
    {
        lock (_lock)
        {
            if (_map.TryGetValue(key, out var node))
            {
                age = _time.GetElapsedTime(node.Value.Answer.StoredAt);
                if (age < node.Value.Answer.TimeToLive + _staleWindow)
                {
                    _lru.Remove(node);
                    _lru.AddFirst(node);
                    answer = node.Value.Answer;
                    return true;
                }

                _lru.Remove(node);
                _map.Remove(key);
            }
        }

        answer = null!;
        age = TimeSpan.Zero;
        return false;
    }

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _map.Clear();
            _lru.Clear();
        }
    }
}
