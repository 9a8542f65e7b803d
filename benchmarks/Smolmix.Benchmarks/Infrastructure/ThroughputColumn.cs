using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Smolmix.Benchmarks.Infrastructure;

/// <summary>How many payload bytes one benchmark operation moves (for the MB/s column).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BytesPerOperationAttribute(long bytes) : Attribute
{
    public long Bytes { get; } = bytes;
}

/// <summary>What one benchmark operation is called in the rate column ("packets", "writes", "MiB").</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class OperationNameAttribute(string name) : Attribute
{
    public string Name { get; } = name;
}

/// <summary>Operations per second and MB/s (10^6 bytes) derived from the mean time per operation.</summary>
public sealed class ThroughputColumn : IColumn
{
    private readonly bool _bytes;

    private ThroughputColumn(bool bytes) => _bytes = bytes;

    public static IColumn OpsPerSecond { get; } = new ThroughputColumn(false);

    public static IColumn MegabytesPerSecond { get; } = new ThroughputColumn(true);

    public string Id => _bytes ? "Smolmix.MBps" : "Smolmix.OpsPerSec";

    public string ColumnName => _bytes ? "MB/s" : "Op/s";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => _bytes ? 1 : 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => _bytes
        ? "Payload megabytes (10^6 B) per second, from the mean time per operation"
        : "Operations per second (see the benchmark for what an operation is), from the mean";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        double? meanNs = report?.ResultStatistics?.Mean;
        if (meanNs is not > 0)
        {
            return "-";
        }
        double perSecond = 1e9 / meanNs.Value;
        var method = benchmarkCase.Descriptor.WorkloadMethod;
        if (_bytes)
        {
            var b = method.GetCustomAttribute<BytesPerOperationAttribute>();
            return b is null ? "-" : (perSecond * b.Bytes / 1e6).ToString("N1", CultureInfo.InvariantCulture);
        }
        string unit = method.GetCustomAttribute<OperationNameAttribute>()?.Name ?? "op";
        return perSecond.ToString("N0", CultureInfo.InvariantCulture) + " " + unit + "/s";
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}

/// <summary>Default columns plus throughput and allocations.</summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        AddColumn(ThroughputColumn.OpsPerSecond, ThroughputColumn.MegabytesPerSecond);
        AddDiagnoser(MemoryDiagnoser.Default);
    }
}
