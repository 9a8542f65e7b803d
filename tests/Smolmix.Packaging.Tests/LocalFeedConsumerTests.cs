using System.Globalization;
using System.IO.Compression;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace Smolmix.Packaging.Tests;

/// <summary>
/// Packs every package to a local folder with a version of its own, then builds and runs a consumer that
/// restores Smolmix.* only from that folder (third-party packages from this machine's NuGet cache, nothing
/// from the network) and does <c>new HttpClient(SmolmixHandler.Create(tunnel))</c> against an embedded Devnet.
/// </summary>
public sealed class LocalFeedConsumerTests(ITestOutputHelper output)
{
    private static readonly string[] Libraries = ["Smolmix.Core", "Smolmix.Dns", "Smolmix.Dns.DnsClient", "Smolmix.Tls", "Smolmix.Http", "Smolmix.Devnet"];

    [Fact]
    public async Task Packages_from_a_local_feed_run_HttpClient_through_an_embedded_Devnet()
    {
        string repo = FindRepositoryRoot();
        string version = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture);
        string work = Directory.CreateTempSubdirectory("smolmix-packaging-").FullName;
        try
        {
            string feed = Path.Combine(work, "feed");

            // Pack into an artifacts folder of its own, so the repository's bin/obj (and a build running beside
            // this test) are left alone.
            ProcessRunner.Result pack = await ProcessRunner.RunAsync(
                "dotnet",
                ["pack", Path.Combine(repo, "Smolmix.Packages.slnf"), "-c", "Release", "-o", feed, "--nologo",
                 $"-p:Version={version}", $"-p:ArtifactsPath={Path.Combine(work, "artifacts")}"],
                repo, TimeSpan.FromMinutes(8));
            output.WriteLine($"pack: {pack.Elapsed.TotalSeconds:0} s");
            Assert.True(pack.ExitCode == 0, pack.Output);
            Assert.DoesNotContain(": warning ", pack.Output, StringComparison.Ordinal);

            foreach (string id in Libraries)
            {
                CheckLibraryPackage(Path.Combine(feed, $"{id}.{version}.nupkg"), id);
            }

            Assert.True(File.Exists(Path.Combine(feed, $"smolmix.{version}.nupkg")), "the smolmix tool package is missing");

            // The consumer: only package references, restored from the feed (Smolmix.*) and the machine's cache (the rest).
            string consumer = Path.Combine(work, "consumer");
            Directory.CreateDirectory(consumer);
            string template = Path.Combine(AppContext.BaseDirectory, "Consumer");
            string machineCache = MachinePackagesFolder();
            await File.WriteAllTextAsync(Path.Combine(consumer, "Consumer.csproj"),
                (await File.ReadAllTextAsync(Path.Combine(template, "Consumer.csproj.txt"))).Replace("$SMOLMIX_VERSION$", version, StringComparison.Ordinal));
            await File.WriteAllTextAsync(Path.Combine(consumer, "nuget.config"),
                (await File.ReadAllTextAsync(Path.Combine(template, "nuget.config.txt")))
                    .Replace("$PACKAGES$", Path.Combine(work, "packages"), StringComparison.Ordinal)
                    .Replace("$FEED$", feed, StringComparison.Ordinal)
                    .Replace("$MACHINE_CACHE$", machineCache, StringComparison.Ordinal));
            File.Copy(Path.Combine(template, "Program.cs.txt"), Path.Combine(consumer, "Program.cs"));

            ProcessRunner.Result build = await ProcessRunner.RunAsync(
                "dotnet", ["build", "-c", "Release", "--nologo", "-v", "q"], consumer, TimeSpan.FromMinutes(4));
            output.WriteLine($"consumer build: {build.Elapsed.TotalSeconds:0} s");
            Assert.True(build.ExitCode == 0, build.Output);
            foreach (string id in new[] { "smolmix.http", "smolmix.devnet", "smolmix.core", "smolmix.dns", "smolmix.tls" })
            {
                Assert.True(Directory.Exists(Path.Combine(work, "packages", id, version)), $"{id} {version} was not restored from the local feed");
            }

            ProcessRunner.Result run = await ProcessRunner.RunAsync(
                "dotnet", [Path.Combine(consumer, "bin", "Release", "net10.0", "Consumer.dll")], consumer, TimeSpan.FromMinutes(2));
            output.WriteLine($"consumer run: {run.Elapsed.TotalSeconds:0} s");
            output.WriteLine(run.Output);
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("body: hello from the packages", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void CheckLibraryPackage(string path, string id)
    {
        Assert.True(File.Exists(path), $"{path} is missing");
        using ZipArchive zip = ZipFile.OpenRead(path);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("README.md", entries);
        Assert.Contains($"lib/net10.0/{id}.dll", entries);
        Assert.Contains($"lib/net10.0/{id}.xml", entries);

        using Stream nuspecStream = zip.GetEntry($"{id}.nuspec")!.Open();
        XElement metadata = XDocument.Load(nuspecStream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Value(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;
        Assert.Equal("README.md", Value("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Value("projectUrl")), $"{id}: no projectUrl");
        Assert.False(string.IsNullOrWhiteSpace(Value("tags")), $"{id}: no tags");
        Assert.False(string.IsNullOrWhiteSpace(Value("description")), $"{id}: no description");
        XElement? repository = metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository");
        Assert.True(repository?.Attribute("url") is not null, $"{id}: no repository url");
    }

    private static string MachinePackagesFolder()
    {
        string? configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        string folder = string.IsNullOrEmpty(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : configured;
        Assert.True(Directory.Exists(folder), $"no NuGet packages folder at {folder}");
        return folder;
    }

    private static string FindRepositoryRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Smolmix.Packages.slnf")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Smolmix.Packages.slnf above {AppContext.BaseDirectory}");
    }
}
