using System.Security.Cryptography;

namespace Smolmix.Http.Tests.Support;

/// <summary>Static files of random bytes that <see cref="NginxServer"/> serves, with their SHA-256.</summary>
internal sealed class NginxFiles
{
    /// <summary>1 KiB.</summary>
    public const string Small = "1k.bin";

    /// <summary>1 MiB.</summary>
    public const string Medium = "1m.bin";

    /// <summary>16 MiB.</summary>
    public const string Large = "16m.bin";

    private static readonly Dictionary<string, int> Sizes = new() { [Small] = 1024, [Medium] = 1024 * 1024, [Large] = 16 * 1024 * 1024 };

    private readonly Dictionary<string, (long Length, byte[] Sha256)> _files;

    private NginxFiles(Dictionary<string, (long Length, byte[] Sha256)> files) => _files = files;

    /// <summary>The length of a file.</summary>
    public long Length(string name) => _files[name].Length;

    /// <summary>The SHA-256 of a file.</summary>
    public byte[] Sha256(string name) => _files[name].Sha256;

    /// <summary>Writes the files (fresh random bytes) to <paramref name="directory"/>.</summary>
    public static async Task<NginxFiles> WriteAsync(string directory, CancellationToken cancellationToken)
    {
        var files = new Dictionary<string, (long, byte[])>();
        foreach ((string name, int size) in Sizes)
        {
            byte[] bytes = RandomNumberGenerator.GetBytes(size);
            await File.WriteAllBytesAsync(Path.Combine(directory, name), bytes, cancellationToken);
            files[name] = (size, SHA256.HashData(bytes));
        }

        return new NginxFiles(files);
    }
}
