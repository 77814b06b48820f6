using System.Globalization;

namespace Backup.Core.Storage;

/// <summary>
/// A local folder of copies of repository objects that never change once written (index and snapshot files, keys,
/// sealed trees), so that a command against a remote store fetches them once (docs/repository.md, "Cache"). Nothing
/// read from it is trusted: the caller checks every entry (by its content hash, or by authenticating it) and treats a
/// bad one as missing. Entries are written to a temporary name and renamed, so a reader sees whole files; they are
/// not flushed to disk, since losing one costs only a fetch. The folder can be deleted at any time. Thread-safe.
/// </summary>
public sealed class ObjectCache
{
    private const UnixFileMode PrivateDirectory = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    /// <summary>A cache in <paramref name="root"/> (created on the first write, 0700).</summary>
    public ObjectCache(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        Root = root;
    }

    /// <summary>The cache folder.</summary>
    public string Root { get; }

    /// <summary>The bytes cached as <paramref name="name"/> in <paramref name="section"/>, or null.</summary>
    public byte[]? TryRead(string section, string name, long maxLength)
    {
        var path = PathOf(section, name);
        try
        {
            using var handle = Posix.PosixFile.OpenForReading(path);
            var status = Posix.PosixFile.Fstat(handle, path);
            if (status.Type != Posix.FileType.File || status.Size > maxLength)
            {
                return null;
            }
            var buffer = new byte[status.Size];
            var done = 0;
            while (done < buffer.Length)
            {
                var n = RandomAccess.Read(handle, buffer.AsSpan(done), done);
                if (n == 0)
                {
                    return null;
                }
                done += n;
            }
            return buffer;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Caches <paramref name="data"/> as <paramref name="name"/>; a failure to write is ignored (a cache is optional).</summary>
    public void Write(string section, string name, ReadOnlySpan<byte> data)
    {
        var path = PathOf(section, name);
        var folder = Path.GetDirectoryName(path)!;
        var temp = Path.Join(folder, "." + name + ".tmp-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("n")[..8]);
        try
        {
            Directory.CreateDirectory(Root, PrivateDirectory);
            Directory.CreateDirectory(folder, PrivateDirectory);
            using (var handle = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, preallocationSize: 0))
            {
                RandomAccess.Write(handle, data, 0);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            TryDelete(temp);
        }
    }

    /// <summary>Removes the entry <paramref name="name"/> of <paramref name="section"/> (a bad one, or one deleted from the store).</summary>
    public void Remove(string section, string name) => TryDelete(PathOf(section, name));

    /// <summary>The names cached in <paramref name="section"/>.</summary>
    public IReadOnlyList<string> List(string section)
    {
        var folder = Path.Join(Root, section);
        try
        {
            return Directory.Exists(folder)
                ? [.. new DirectoryInfo(folder).EnumerateFiles().Select(f => f.Name).Where(BlobNames.IsId)]
                : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private string PathOf(string section, string name)
    {
        if (!BlobNames.IsId(name) || section.Length == 0 || section.Contains('/', StringComparison.Ordinal) || section.StartsWith('.'))
        {
            throw new ArgumentException($"invalid cache entry {section}/{name}");
        }
        return Path.Join(Root, section, name);
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover is overwritten or ignored.
        }
    }
}
