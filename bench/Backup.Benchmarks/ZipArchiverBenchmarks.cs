using BenchmarkDotNet.Attributes;
using Backup.Core.Archiving.Zip;
using Backup.Core.Restore;

namespace Backup.Benchmarks;

/// <summary>
/// <see cref="ZipArchiver.ArchiveAsync(string, string, CancellationToken)"/> and <see cref="ZipArchiver.RestoreAsync"/> over 64 MiB of mixed compressible
/// text and incompressible blobs, single-threaded and with one worker per core, so that the parallel speed-up and the
/// managed memory per snapshot are visible.
/// </summary>
[MemoryDiagnoser]
public class ZipArchiverBenchmarks
{
    private const long TreeBytes = 64L << 20;

    private string _work = "";
    private string _source = "";
    private string _archiveRoot = "";
    private string _restoreTarget = "";
    private string _archive = "";
    private ZipArchiver _archiver = null!;

    /// <summary>Compression threads: 1, and one per core (the default).</summary>
    [ParamsSource(nameof(WorkerCounts))]
    public int Workers { get; set; }

    public static IEnumerable<int> WorkerCounts => Environment.ProcessorCount > 1 ? [1, Environment.ProcessorCount] : [1];

    [GlobalSetup]
    public void Setup()
    {
        _work = BenchTree.CreateTempDirectory("backup-bench-zip-");
        _source = Path.Join(_work, "source");
        _archiveRoot = Path.Join(_work, "archive");
        _restoreTarget = Path.Join(_work, "restored");
        Directory.CreateDirectory(_source);
        BenchTree.WriteMixedFiles(_source, TreeBytes, seed: 2);
        _archiver = new ZipArchiver(_archiveRoot, new ZipArchiverOptions { Workers = Workers });
        _archive = _archiver.ArchiveAsync(_source, "dh1:bench", CancellationToken.None).GetAwaiter().GetResult().Archive;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_work, recursive: true);

    /// <summary>Removes what the previous invocation wrote (the setup's archive stays, for the restore benchmark).</summary>
    [IterationCleanup]
    public void RemoveOutputs()
    {
        foreach (var zip in Directory.EnumerateFiles(_archiveRoot, "*.zip", SearchOption.AllDirectories))
        {
            if (zip != _archive)
            {
                File.Delete(zip);
            }
        }
        if (Directory.Exists(_restoreTarget))
        {
            Directory.Delete(_restoreTarget, recursive: true);
        }
    }

    [Benchmark]
    public async Task<long> Archive()
    {
        var result = await _archiver.ArchiveAsync(_source, "dh1:bench", CancellationToken.None);
        return result.Info.Bytes;
    }

    [Benchmark]
    public async Task<long> Restore()
    {
        var options = new RestoreOptions { Parallelism = Workers };
        var result = await _archiver.RestoreAsync(_archive, _restoreTarget, options, CancellationToken.None);
        return result.Bytes;
    }
}
