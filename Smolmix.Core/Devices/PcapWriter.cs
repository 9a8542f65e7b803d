using System.Buffers.Binary;

namespace Smolmix.Devices;

/// <summary>
/// Writes raw IP packets to a classic pcap capture file (microsecond timestamps,
/// link type LINKTYPE_RAW), readable by Wireshark, tshark and tcpdump. Thread-safe.
/// </summary>
internal sealed class PcapWriter : IDisposable
{
    /// <summary>The pcap magic number for microsecond timestamps.</summary>
    public const uint Magic = 0xA1B2C3D4;

    /// <summary>The largest number of bytes recorded per packet; longer packets are truncated.</summary>
    public const int SnapLength = 65535;

    /// <summary>LINKTYPE_RAW: each record is a bare IPv4 or IPv6 packet.</summary>
    public const int LinkTypeRaw = 101;

    private const int GlobalHeaderLength = 24;
    private const int RecordHeaderLength = 16;

    private readonly object _lock = new();
    private readonly Stream _stream;
    private readonly bool _leaveOpen;
    private bool _disposed;

    /// <summary>Starts a capture on <paramref name="stream"/> and writes the file header.</summary>
    /// <param name="stream">A writable stream, positioned where the file starts.</param>
    /// <param name="leaveOpen">Whether to leave <paramref name="stream"/> open when this writer is disposed.</param>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable.</exception>
    public PcapWriter(Stream stream, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }

        _stream = stream;
        _leaveOpen = leaveOpen;
        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2); // version major
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4); // version minor
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], SnapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeRaw);
        _stream.Write(header);
    }

    /// <summary>Creates (or overwrites) the capture file at <paramref name="path"/> and writes its header.</summary>
    /// <param name="path">The file to write.</param>
    public PcapWriter(string path)
        : this(new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 64 * 1024), leaveOpen: false)
    {
    }

    /// <summary>Appends one packet record.</summary>
    /// <param name="packet">The raw IP packet; bytes beyond <see cref="SnapLength"/> are not recorded.</param>
    /// <param name="timestamp">When the packet was seen.</param>
    /// <exception cref="ObjectDisposedException">The writer is disposed.</exception>
    public void WritePacket(ReadOnlySpan<byte> packet, DateTimeOffset timestamp)
    {
        long micros = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (TimeSpan.TicksPerMillisecond / 1000);
        long seconds = Math.DivRem(micros, 1_000_000, out long fraction);
        if (fraction < 0)
        {
            seconds--;
            fraction += 1_000_000;
        }

        int captured = Math.Min(packet.Length, SnapLength);
        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, unchecked((uint)seconds));
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)fraction);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)captured);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)packet.Length);
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Write(header);
            _stream.Write(packet[..captured]);
        }
    }

    /// <summary>Flushes buffered records to the underlying stream.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _stream.Flush();
        }
    }

    /// <summary>Flushes and, unless asked to leave it open, closes the stream.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _stream.Flush();
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }
}
