using System.Diagnostics;
using System.Security.Cryptography;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Repositories.Packs;

namespace Backup.Benchmarks;

/// <summary>
/// What the in-memory index holds per chunk, and what an index file costs to read: builds the index of a repository of
/// <c>chunks</c> chunks (about 16 to a pack, as with 1 MiB chunks in 16 MiB packs) as binary and as JSON index files,
/// loads each into a fresh <see cref="RepositoryIndex"/>, and prints the retained heap per chunk (after a full
/// collection) and the load time. Run: <c>dotnet run -c Release --project bench/Backup.Benchmarks -- index-memory 1000000</c>.
/// </summary>
internal static class IndexMemory
{
    public static void Run(int chunks)
    {
        var packs = new List<(string, IReadOnlyList<PackEntry>)>();
        var random = new Random(1);
        var id = new byte[32];
        for (var c = 0; c < chunks;)
        {
            var entries = new List<PackEntry>();
            for (var i = 0; i < 16 && c < chunks; i++, c++)
            {
                random.NextBytes(id);
                entries.Add(new PackEntry(BlobType.Data, ChunkId.FromBytes(id), (uint)(i << 20), 1 << 20, 1 << 20, CompressionId.Zstd));
            }
            random.NextBytes(id);
            packs.Add((Convert.ToHexStringLower(SHA256.HashData(id)), entries));
        }
        var binary = RepositoryIndex.ToBinary(packs);
        var json = RepositoryIndex.ToJson(packs);
        Console.WriteLine($"{chunks:N0} chunks in {chunks / 16 + 1:N0} packs; index file: binary {binary.Length / (double)chunks:F1} B/chunk, JSON {json.Length / (double)chunks:F1} B/chunk");
        Measure("binary", chunks, index => index.AddBinary(binary));
        // As a backup does: a pack at a time.
        Measure("grown a pack at a time", chunks, index =>
        {
            foreach (var (pack, entries) in packs)
            {
                index.AddPack(pack, entries);
            }
        });
        Measure("JSON", chunks, index => index.AddJson(json));
    }

    private static void Measure(string format, int chunks, Action<RepositoryIndex> load)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var watch = Stopwatch.StartNew();
        var index = new RepositoryIndex();
        load(index);
        watch.Stop();
        var after = GC.GetTotalMemory(forceFullCollection: true);
        Console.WriteLine($"{format,-36}: loaded in {watch.Elapsed.TotalMilliseconds:F0} ms; retained {(after - before) / (double)chunks:F1} B/chunk ({(after - before) / 1048576.0:F1} MiB), {index.Count:N0} chunks");
        GC.KeepAlive(index);
    }
}
