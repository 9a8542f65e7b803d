namespace Smolmix.Http.Tests.Nginx;

/// <summary>The nginx tests run one after another: each moves up to tens of MiB through the Devnet, and their timings mean more alone.</summary>
[CollectionDefinition(Name)]
public sealed class NginxCollection
{
    public const string Name = "nginx";
}
