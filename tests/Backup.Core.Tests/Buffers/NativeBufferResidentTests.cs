using Backup.Core.Buffers;

namespace Backup.Core.Tests.Buffers;

/// <summary>Measures the process's resident set, so it runs alone: other tests would move it while it measures.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ResidentMemory
{
    public const string Name = "resident memory, alone";
}

[Collection(ResidentMemory.Name)]
public sealed class NativeBufferResidentTests
{
    [Fact]
    public void Return_OverTheBound_UnmapsTheBufferSoItsPagesLeaveTheProcess()
    {
        var pool = new BufferPool(0);
        var before = ResidentBytes();
        var buffer = pool.Rent(8 << 20);
        buffer.Span.Fill(1); // every page touched: resident
        var touched = ResidentBytes();

        pool.Return(buffer);

        Assert.True(touched - before >= 7 << 20, $"writing 8 MiB raised the resident size by {touched - before} bytes only");
        Assert.True(touched - ResidentBytes() >= 7 << 20, "the pages of the buffer given back stayed resident");
        Assert.Throws<ObjectDisposedException>(() => buffer.Memory.Span.Length);
    }

    /// <summary>The process's resident set (<c>/proc/self/statm</c>, second field, in pages).</summary>
    private static long ResidentBytes() =>
        long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) * Environment.SystemPageSize;
}
