using System.Formats.Tar;
using System.Runtime.CompilerServices;
using System.Text;
using Backup.Core.Dump;
using Backup.Core.Posix;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Dump;

public sealed class TarDumpTests : IDisposable
{
    private static readonly byte[] s_latin1Name = [.. "caf"u8, 0xE9, .. ".txt"u8];
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    [Fact]
    public async Task Write_OddNames_PythonTarfileReadsTheExactBytes()
    {
        var longName = string.Join('/', Enumerable.Range(0, 12).Select(i => new string((char)('a' + i), 30))) + "/file";
        var latin1 = EntryName.Decode(s_latin1Name);
        var source = new MemorySource();
        var entries = new List<RestoreEntry>
        {
            source.File(longName, "long"),
            source.File(latin1, "latin-1"),
            source.File("日本語 ünï.txt", "unicode"),
            source.File("line\nbreak", "newline"),
            source.Link("link-to-latin1", s_latin1Name),
        };
        var tar = await WriteAsync(entries, source);

        var listing = ArchiveFolderPython(tar);

        Assert.Equal(
            new[]
            {
                Hex("top/"), Hex("top/" + longName), Hex("top/line\nbreak"), Hex("top/link-to-latin1") + " -> " + Convert.ToHexStringLower(s_latin1Name),
                Convert.ToHexStringLower([.. "top/"u8, .. s_latin1Name]), Hex("top/日本語 ünï.txt"),
            }.Order(StringComparer.Ordinal),
            listing.Select(l => l.Split(' ', 2)[1]).Order(StringComparer.Ordinal));
        Assert.Contains(listing, l => l.EndsWith(Convert.ToHexStringLower([.. "top/"u8, .. s_latin1Name]), StringComparison.Ordinal) && l.StartsWith("6c6174696e2d31 ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_LongNameAndHardLink_TarReaderReadsThemBack()
    {
        var longName = new string('n', 200) + "/" + new string('m', 150);
        var source = new MemorySource();
        var first = source.File(longName, "shared") with { HardLinkGroup = "g" };
        var second = source.File("z-link", "shared") with { HardLinkGroup = "g" };
        var tar = await WriteAsync([first, second], source);

        await using var reader = new TarReader(File.OpenRead(tar));
        var read = new List<TarEntry>();
        while (await reader.GetNextEntryAsync(copyData: true) is { } entry)
        {
            read.Add(entry);
        }

        Assert.Equal(["top/", "top/" + longName, "top/z-link"], read.Select(e => e.Name));
        Assert.Equal(TarEntryType.HardLink, read[2].EntryType);
        Assert.Equal("top/" + longName, read[2].LinkName);
        Assert.Equal("shared", new StreamReader(read[1].DataStream!).ReadToEnd());
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_600_000_000).AddTicks(1234567), read[1].ModificationTime);
    }

    [Fact]
    public async Task Write_OwnerAboveInt32_PythonReadsTheOwnerAndTheNanoseconds()
    {
        var source = new MemorySource();
        var entry = source.File("owned", "x") with { Owner = (3_000_000_000u, 7u) };
        var tar = await WriteAsync([entry], source);

        var read = Shell.Run("python3", "-c", "import sys, tarfile; m = tarfile.open(sys.argv[1]).getmember('top/owned'); print(m.uid, m.gid, m.pax_headers['mtime'])", tar);

        Assert.True(read.ExitCode == 0, read.ToString());
        Assert.Equal("3000000000 7 1600000000.123456789", read.Output.Trim());
    }

    [Fact]
    public async Task Write_ContentShorterThanItsSize_ThrowsNamingTheFile()
    {
        var source = new MemorySource();
        var entry = source.File("short.bin", "abc") with { Size = 10 };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => WriteAsync([entry], source));

        Assert.Contains("top/short.bin", error.Message, StringComparison.Ordinal);
    }

    private async Task<string> WriteAsync(List<RestoreEntry> entries, MemorySource source)
    {
        var top = new RestoreEntry("", FileType.Directory, 0x1ED, 0, 0, "top");
        using var selection = new DumpSelection(top, "top", entries, source, null);
        var path = _temp.Join($"{Guid.NewGuid():N}.tar");
        await using (var output = File.Create(path))
        {
            await TarDump.WriteAsync(selection, output, CancellationToken.None);
        }
        return path;
    }

    /// <summary>Each member as "hex(content or target) hex(name)", names as raw bytes (surrogateescape gives them back).</summary>
    private static string[] ArchiveFolderPython(string tar)
    {
        const string Script = """
            import os, sys, tarfile
            with tarfile.open(sys.argv[1], encoding='utf-8', errors='surrogateescape') as t:
                for m in t:
                    name = os.fsencode(m.name).hex() + ('2f' if m.isdir() else '')
                    if m.issym():
                        print('- ' + name + ' -> ' + os.fsencode(m.linkname).hex())
                    elif m.isfile():
                        print(t.extractfile(m).read().hex() + ' ' + name)
                    else:
                        print('- ' + name)
            """;
        var result = Shell.Run("python3", "-c", Script, tar);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Hex(string text) => Convert.ToHexStringLower(Encoding.UTF8.GetBytes(text));

    private sealed class MemorySource : IRestoreSource
    {
        private readonly Dictionary<string, byte[]> _content = new(StringComparer.Ordinal);

        public RestoreEntry File(string path, string content)
        {
            _content[path] = Encoding.UTF8.GetBytes(content);
            return new RestoreEntry(path, FileType.File, 0x1A4, 1_600_000_000_123_456_789, content.Length, path) { Owner = (1000, 1000) };
        }

        public RestoreEntry Link(string path, byte[] target)
        {
            _content[path] = target;
            return new RestoreEntry(path, FileType.Symlink, 0x1FF, 0, target.Length, path);
        }

        public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadContentAsync(RestoreEntry file, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return _content[file.Path];
        }

        public Task<byte[]> ReadLinkTargetAsync(RestoreEntry link, CancellationToken cancellationToken) => Task.FromResult(_content[link.Path]);
    }
}
