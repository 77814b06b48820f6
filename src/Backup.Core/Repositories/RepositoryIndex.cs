using System.Text.Json;
using Backup.Core.Compression;
using Backup.Core.Encryption;
using Backup.Core.Repositories.Packs;

namespace Backup.Core.Repositories;

/// <summary>
/// Maps chunk ids to where they are stored (docs/repository.md, "Index"). Pack names are kept once in a list and
/// each chunk costs one entry of a <see cref="ChunkMap{TValue}"/>: a 32-byte id, a 16-byte location and a 4-byte link,
/// 52 bytes, plus 4 to 8 bytes of buckets; the map grows without copying its entries. Written and read as binary index files (<see cref="ToBinary(IEnumerable{ValueTuple{string, IReadOnlyList{PackEntry}}})"/>);
/// the JSON files of earlier builds are still read. Not thread-safe.
/// </summary>
public sealed partial class RepositoryIndex
{
    private readonly List<string> _packs = [];
    private readonly Dictionary<string, int> _packNumbers = new(StringComparer.Ordinal);
    private readonly ChunkMap<Location> _chunks = new();

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

    /// <summary>Every blob, grouped by the pack the index places it in, packs in the order first seen, blobs by offset.</summary>
    public IEnumerable<(string Pack, IReadOnlyList<PackEntry> Entries)> ByPack() =>
        _chunks.Entries().GroupBy(c => c.Value.Pack).OrderBy(g => g.Key).Select(g => (_packs[g.Key],
            (IReadOnlyList<PackEntry>)[.. g.Select(c => c.Value.EntryOf(c.Key)).OrderBy(e => e.Offset)]));

    /// <summary>The map's bucket heads, for tests of its growth.</summary>
    internal int Buckets => _chunks.Buckets;

    /// <summary>True when <paramref name="id"/> is stored.</summary>
    public bool Contains(ChunkId id) => _chunks.ContainsKey(id);

    /// <summary>Records every entry of a pack. A chunk already known keeps its first location.</summary>
    public void AddPack(string pack, IEnumerable<PackEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var number = PackNumber(pack);
        foreach (var e in entries)
        {
            Add(number, e);
        }
    }

    private int PackNumber(string pack)
    {
        if (!_packNumbers.TryGetValue(pack, out var number))
        {
            number = _packs.Count;
            if (number > Location.MaxPack)
            {
                throw new InvalidDataException($"the index lists more than {Location.MaxPack + 1} packs");
            }
            _packs.Add(pack);
            _packNumbers[pack] = number;
        }
        return number;
    }

    private void Add(int pack, PackEntry e) => _chunks.TryAdd(e.Id, Location.Of(pack, e));

    /// <summary>Where <paramref name="id"/> is stored, or null.</summary>
    public (string Pack, PackEntry Entry)? Find(ChunkId id)
    {
        if (!_chunks.TryGetValue(id, out var l))
        {
            return null;
        }
        return (_packs[l.Pack], l.EntryOf(id));
    }

    /// <summary>The index as the JSON of one index file of earlier builds (before sealing): kept for tests of the reader.</summary>
    public byte[] ToJson() => ToJson(ByPack());

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

    /// <summary>
    /// A chunk's place in 16 bytes: the pack number in the low 24 bits of the first word, the blob type and the
    /// compression in its top two bytes; then offset, sealed length and raw length.
    /// </summary>
    private readonly record struct Location(uint PackAndKind, uint Offset, uint Length, uint RawLength)
    {
        /// <summary>The largest pack number: 16,777,215 packs of 16 MiB are 256 TiB.</summary>
        public const int MaxPack = (1 << 24) - 1;

        public int Pack => (int)(PackAndKind & MaxPack);

        public static Location Of(int pack, PackEntry e) => (byte)e.Type > 0xF || (byte)e.Compression > 0xF
            ? throw new InvalidDataException($"index entry of chunk {e.Id} has type {(byte)e.Type} and compression {(byte)e.Compression}")
            : new((uint)pack | ((uint)e.Type << 24) | ((uint)e.Compression << 28), e.Offset, e.Length, e.RawLength);

        public PackEntry EntryOf(ChunkId id) =>
            new((BlobType)((PackAndKind >> 24) & 0xF), id, Offset, Length, RawLength, (CompressionId)(PackAndKind >> 28));
    }
}
