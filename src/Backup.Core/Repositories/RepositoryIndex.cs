using System.Text.Json;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Repositories;

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
    public byte[] ToJson() => ToJson(_chunks.GroupBy(c => c.Value.Pack).OrderBy(g => g.Key).Select(g => (_packs[g.Key],
        (IReadOnlyList<PackEntry>)[.. g.Select(c => new PackEntry(c.Value.Type, c.Key, c.Value.Offset, c.Value.Length, c.Value.RawLength, c.Value.Compression))])));

    /// <summary>
    /// The JSON of one index file listing <paramref name="packs"/>, written straight from the entries: no object per
    /// blob, so an index file of many blobs costs little more than its own bytes.
    /// </summary>
    public static byte[] ToJson(IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> packs)
    {
        ArgumentNullException.ThrowIfNull(packs);
        var output = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        using (var writer = new Utf8JsonWriter(output))
        {
            Span<byte> id = stackalloc byte[32];
            Span<char> hex = stackalloc char[64];
            writer.WriteStartObject();
            writer.WriteNumber("version"u8, 1);
            writer.WriteStartArray("packs"u8);
            foreach (var (pack, entries) in packs)
            {
                writer.WriteStartObject();
                writer.WriteString("id"u8, pack);
                writer.WriteStartArray("blobs"u8);
                foreach (var e in entries)
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("type"u8, (byte)e.Type);
                    e.Id.WriteTo(id);
                    Convert.TryToHexStringLower(id, hex, out _);
                    writer.WriteString("id"u8, hex);
                    writer.WriteNumber("offset"u8, e.Offset);
                    writer.WriteNumber("length"u8, e.Length);
                    writer.WriteNumber("raw"u8, e.RawLength);
                    writer.WriteNumber("compression"u8, (byte)e.Compression);
                    writer.WriteEndObject();
                }
                writer.WriteEndArray();
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Adds what one index file lists. Throws <see cref="InvalidDataException"/> when it is not an index file. Read as a
    /// stream of tokens straight into the map: an index of many chunks is megabytes of JSON, and objects for each of its
    /// entries would multiply that for the moment of loading.
    /// </summary>
    public void AddJson(ReadOnlySpan<byte> json)
    {
        List<(string Pack, List<PackEntry> Entries)> packs;
        int version;
        try
        {
            (version, packs) = Parse(json);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException("index file is not valid JSON", e);
        }
        if (version != 1)
        {
            throw new InvalidDataException("index file has an unknown version");
        }
        foreach (var (pack, entries) in packs)
        {
            AddPack(pack, entries);
        }
    }

    private static (int Version, List<(string Pack, List<PackEntry> Entries)> Packs) Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        var version = 0;
        var packs = new List<(string, List<PackEntry>)>();
        Read(ref reader, JsonTokenType.StartObject);
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("version"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                version = reader.GetInt32();
            }
            else if (reader.ValueTextEquals("packs"u8))
            {
                Read(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.StartObject)
                {
                    packs.Add(ParsePack(ref reader));
                }
                Expect(reader, JsonTokenType.EndArray);
            }
            else
            {
                reader.Skip(); // a field this version does not know
            }
        }
        Expect(reader, JsonTokenType.EndObject);
        return (version, packs);
    }

    private static (string Pack, List<PackEntry> Entries) ParsePack(ref Utf8JsonReader reader)
    {
        string? id = null;
        var entries = new List<PackEntry>();
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Read(ref reader, JsonTokenType.String);
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals("blobs"u8))
            {
                Read(ref reader, JsonTokenType.StartArray);
                while (Next(ref reader) == JsonTokenType.StartObject)
                {
                    entries.Add(ParseBlob(ref reader));
                }
                Expect(reader, JsonTokenType.EndArray);
            }
            else
            {
                reader.Skip();
            }
        }
        Expect(reader, JsonTokenType.EndObject);
        return (id ?? throw new FormatException("pack without an id"), entries);
    }

    private static PackEntry ParseBlob(ref Utf8JsonReader reader)
    {
        byte type = 0, compression = 0;
        uint offset = 0, length = 0, raw = 0;
        ChunkId? id = null;
        Span<char> hex = stackalloc char[64];
        Span<byte> bytes = stackalloc byte[32];
        while (Next(ref reader) == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Read(ref reader, JsonTokenType.String);
                if (reader.CopyString(hex) != 64 || Convert.FromHexString(hex, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 32)
                {
                    throw new FormatException("blob id is not 64 hex digits");
                }
                id = ChunkId.FromBytes(bytes);
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                type = reader.GetByte();
            }
            else if (reader.ValueTextEquals("offset"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                offset = reader.GetUInt32();
            }
            else if (reader.ValueTextEquals("length"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                length = reader.GetUInt32();
            }
            else if (reader.ValueTextEquals("raw"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                raw = reader.GetUInt32();
            }
            else if (reader.ValueTextEquals("compression"u8))
            {
                Read(ref reader, JsonTokenType.Number);
                compression = reader.GetByte();
            }
            else
            {
                reader.Skip();
            }
        }
        Expect(reader, JsonTokenType.EndObject);
        return new PackEntry((BlobType)type, id ?? throw new FormatException("blob without an id"), offset, length, raw, (CompressionId)compression);
    }

    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new FormatException("index file ends early");

    private static void Read(ref Utf8JsonReader reader, JsonTokenType expected)
    {
        Next(ref reader);
        Expect(reader, expected);
    }

    private static void Expect(in Utf8JsonReader reader, JsonTokenType expected)
    {
        if (reader.TokenType != expected)
        {
            throw new FormatException($"expected {expected}, found {reader.TokenType} at byte {reader.TokenStartIndex}");
        }
    }

    private readonly record struct Location(int Pack, BlobType Type, uint Offset, uint Length, uint RawLength, CompressionId Compression);
}
