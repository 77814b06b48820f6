using BenchmarkDotNet.Attributes;
using Backup.Core.Changes;

namespace Backup.Benchmarks;

/// <summary>
/// The cost of one no-change check without process start-up: <see cref="DirHash.Compute"/> over a tree of small files
/// (one lstat-equivalent per entry, sorted readdir, XXH128 over the metadata). Compare with <c>find -printf</c> in run.sh.
/// </summary>
[MemoryDiagnoser]
public class DirHashBenchmarks
{
    private string _root = "";

    [Params(10_000)]
    public int Files { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _root = BenchTree.CreateTempDirectory("backup-bench-dirhash-");
        BenchTree.WriteManySmallFiles(_root, Files, seed: 1);
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark]
    public string Compute() => DirHash.Compute(_root, _ => { }, CancellationToken.None);
}
