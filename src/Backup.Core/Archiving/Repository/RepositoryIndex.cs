using System.Text.Json;
using System.Text.Json.Serialization;
using Backup.Core.Compression;
using Backup.Core.Encryption;

namespace Backup.Core.Archiving.Repository;

/// <summary>
/// Maps chunk ids to where they are stored (docs/repository.md, "Index"). Pack names are kept once in a list and
/// each chunk costs one dictionary entry of a 32-byte key and a 20-byte location, about 70 bytes with the dictionary's
/// own overhead. Not thread-safe.
/// </summary>
public sealed class RepositoryIndex
{
    private readonly List<string> _packs = [];
    private readonly Dictionary<string, int> _packNumbers = new(StringComparer.Ordinal);
    private readonly Dictionary<ChunkId, Location> _chunks = [];

    /// <summary>Chunks known.</summary>
    public int Count => _chunks.Count;

    /// <summary>Packs known.</summary>
    public IReadOnlyList<string> Packs => _packs;

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        _packs.Clear();
        _packNumbers.Clear();
        _chunks.Clear();
    }

    /// <summary>Every blob, grouped by the pack the index places it in.</summary>
    public IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> ByPack() =>
        _chunks.GroupBy(c => c.Value.Pack).Select(g => (_packs[g.Key],
            (IReadOnlyList<PackEntry>)[.. g.Select(c => new PackEntry(c.Value.Type, c.Key, c.Value.Offset, c.Value.Length, c.Value.RawLength, c.Value.Compression))]));

    /// <summary>True when <paramref name="id"/> is stored.</summary>
    public bool Contains(ChunkId id) => _chunks.ContainsKey(id);

    /// <summary>Records every entry of a pack. A chunk already known keeps its first location.</summary>
    public void AddPack(string pack, IEnumerable<PackEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!_packNumbers.TryGetValue(pack, out var number))
        {
            number = _packs.Count;
            _packs.Add(pack);
            _packNumbers[pack] = number;
        }
        foreach (var e in entries)
        {
            _chunks.TryAdd(e.Id, new Location(number, e.Type, e.Offset, e.Length, e.RawLength, e.Compression));
        }
    }

    /// <summary>Where <paramref name="id"/> is stored, or null.</summary>
    public (string Pack, PackEntry Entry)? Find(ChunkId id)
    {
        if (!_chunks.TryGetValue(id, out var l))
        {
            return null;
        }
        return (_packs[l.Pack], new PackEntry(l.Type, id, l.Offset, l.Length, l.RawLength, l.Compression));
    }

    /// <summary>The index as the JSON of one index file (before sealing).</summary>
    public byte[] ToJson()
    {
        var byPack = _chunks.GroupBy(c => c.Value.Pack).OrderBy(g => g.Key).Select(g => new IndexFilePack
        {
            Id = _packs[g.Key],
            Blobs = [.. g.Select(c => new IndexFileBlob
            {
                Type = (byte)c.Value.Type,
                Id = c.Key.ToString(),
                Offset = c.Value.Offset,
                Length = c.Value.Length,
                RawLength = c.Value.RawLength,
                Compression = (byte)c.Value.Compression,
            })],
        });
        return JsonSerializer.SerializeToUtf8Bytes(new IndexFile { Version = 1, Packs = [.. byPack] }, RepositoryIndexJson.Default.IndexFile);
    }

    /// <summary>Adds what one index file lists. Throws <see cref="InvalidDataException"/> when it is not an index file.</summary>
    public void AddJson(ReadOnlySpan<byte> json)
    {
        IndexFile? file;
        try
        {
            file = JsonSerializer.Deserialize(json, RepositoryIndexJson.Default.IndexFile);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("index file is not valid JSON", e);
        }
        if (file is not { Version: 1 })
        {
            throw new InvalidDataException("index file has an unknown version");
        }
        foreach (var pack in file.Packs)
        {
            AddPack(pack.Id, pack.Blobs.Select(b =>
                new PackEntry((BlobType)b.Type, ChunkId.Parse(b.Id), b.Offset, b.Length, b.RawLength, (CompressionId)b.Compression)));
        }
    }

    private readonly record struct Location(int Pack, BlobType Type, uint Offset, uint Length, uint RawLength, CompressionId Compression);

    internal sealed class IndexFile
    {
        [JsonPropertyName("version")] public int Version { get; set; }
        [JsonPropertyName("packs")] public List<IndexFilePack> Packs { get; set; } = [];
    }

    internal sealed class IndexFilePack
    {
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("blobs")] public List<IndexFileBlob> Blobs { get; set; } = [];
    }

    internal sealed class IndexFileBlob
    {
        [JsonPropertyName("type")] public byte Type { get; set; }
        [JsonPropertyName("id")] public string Id { get; set; } = "";
        [JsonPropertyName("offset")] public uint Offset { get; set; }
        [JsonPropertyName("length")] public uint Length { get; set; }
        [JsonPropertyName("raw")] public uint RawLength { get; set; }
        [JsonPropertyName("compression")] public byte Compression { get; set; }
    }
}

/// <summary>Source-generated JSON for index files.</summary>
[JsonSerializable(typeof(RepositoryIndex.IndexFile))]
internal sealed partial class RepositoryIndexJson : JsonSerializerContext;
