namespace Smolmix.Dns.DnsClient;

/// <summary>
/// Full answers the relay truncated over UDP, kept for a few seconds so the client's retry over TCP
/// is served from here instead of crossing the mixnet a second time. Bounded; thread-safe.
/// </summary>
internal sealed class TruncatedAnswerStash
{
    private readonly Dictionary<string, (byte[] Response, long StoredAt)> _entries = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly TimeSpan _lifetime;
    private readonly TimeProvider _time;

    public TruncatedAnswerStash(int capacity, TimeSpan lifetime, TimeProvider time)
    {
        _capacity = capacity;
        _lifetime = lifetime;
        _time = time;
    }

    public void Store(string questionKey, byte[] response)
    {
        lock (_entries)
        {
            RemoveExpired();
            if (_entries.Count >= _capacity && !_entries.ContainsKey(questionKey))
            {
                return; // full of fresh entries: the TCP retry goes through the tunnel instead
            }

            _entries[questionKey] = (response, _time.GetTimestamp());
        }
    }

    /// <summary>Takes the stored answer for the question (it is served once), if it is still fresh.</summary>
    public bool TryTake(string questionKey, out byte[] response)
    {
        lock (_entries)
        {
            if (_entries.Remove(questionKey, out var entry) && _time.GetElapsedTime(entry.StoredAt) < _lifetime)
            {
                response = entry.Response;
                return true;
            }
        }

        response = [];
        return false;
    }

    private void RemoveExpired()
    {
        foreach (var (key, entry) in _entries)
        {
            if (_time.GetElapsedTime(entry.StoredAt) >= _lifetime)
            {
                _entries.Remove(key);
            }
        }
    }
}
