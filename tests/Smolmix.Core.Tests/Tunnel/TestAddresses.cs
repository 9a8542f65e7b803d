using System.Security.Cryptography;
using Smolmix.Nym;

namespace Smolmix.Tests.Tunnel;

/// <summary>Random, valid Nym addresses for fake exits.</summary>
internal static class TestAddresses
{
    public static NymAddress Random()
    {
        var bytes = new byte[NymAddress.BinaryLength];
        while (true)
        {
            RandomNumberGenerator.Fill(bytes);
            if (Ed25519PublicKey.IsValid(bytes.AsSpan(0, 32)) && Ed25519PublicKey.IsValid(bytes.AsSpan(64, 32)))
            {
                return NymAddress.FromBytes(bytes);
            }
        }
    }
}
