using System.Buffers;

namespace Backup.Core.Storage;

/// <summary>The names a store gives files, and the relative path of each kind's files (docs/repository.md, "Layout").</summary>
public static class BlobNames
{
    private static readonly SearchValues<char> s_hexDigits = SearchValues.Create("0123456789abcdef");

    /// <summary>The name of the one <see cref="BlobKind.Config"/> file.</summary>
    public const string Config = "config";

    /// <summary>True for a file id: 64 lowercase hex digits (a SHA-256).</summary>
    public static bool IsId(string name) => name.Length == 64 && !name.AsSpan().ContainsAnyExcept(s_hexDigits);

    /// <summary>True when <paramref name="name"/> is a name a file of <paramref name="kind"/> can have.</summary>
    public static bool IsValid(BlobKind kind, string name) => kind == BlobKind.Config ? name == Config : IsId(name);

    /// <summary>The folder of <paramref name="kind"/> relative to the store's root ("" for the config), with '/' separators.</summary>
    public static string Folder(BlobKind kind) => kind switch
    {
        BlobKind.Config => "",
        BlobKind.Key => "keys",
        BlobKind.Pack => "data",
        BlobKind.Index => "index",
        BlobKind.Snapshot => "snapshots",
        BlobKind.Lock => "locks",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// The path of file <paramref name="name"/> relative to the store's root, with '/' separators: a pack in the
    /// folder named by its first two digits (<c>data/ab/ab12…</c>). Throws <see cref="InvalidDataException"/> for a
    /// name the store never gives, so that no name from a listing or an index can lead outside its folder.
    /// </summary>
    public static string RelativePath(BlobKind kind, string name)
    {
        if (!IsValid(kind, name))
        {
            throw new InvalidDataException($"invalid repository file name '{name}'");
        }
        return kind switch
        {
            BlobKind.Config => name,
            BlobKind.Pack => $"data/{name[..2]}/{name}",
            _ => $"{Folder(kind)}/{name}",
        };
    }
}
