using Backup.Core.Archiving.Zip;
using Backup.Core.Restore;
using Backup.Testing;

namespace Backup.Core.Tests.Archiving.Zip;

public class ZipArchiverTests
{
    private static readonly ZipArchiverOptions s_smallBlocks = new() { BlockSize = 64 * 1024, Workers = 2 };

    [Fact]
    public async Task ArchiveThenRestore_MixedTree_IsIdentical()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        BuildMixedTree(source);
        var archiver = new ZipArchiver(temp.Join("archive"), s_smallBlocks);

        var result = await archiver.ArchiveAsync(source, "dh1:test", CancellationToken.None);
        await archiver.RestoreAsync(result.Archive, temp.Join("out"), new RestoreOptions(), CancellationToken.None);

        Assert.True(result.Complete, string.Join("; ", result.Problems));
        TreeAssert.Identical(source, temp.Join("out"));
    }

    [Fact]
    public async Task Archive_MixedTree_PassesUnzipAndPythonZipfile()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        BuildMixedTree(source);
        var result = await new ZipArchiver(temp.Join("archive"), s_smallBlocks).ArchiveAsync(source, "dh1:test", CancellationToken.None);

        var unzip = Shell.Run("unzip", "-tq", result.Archive);
        var python = Shell.Run("python3", "-c", """
            import sys, zipfile, stat
            z = zipfile.ZipFile(sys.argv[1])
            assert z.testzip() is None
            names = {i.filename: i for i in z.infolist()}
            assert stat.S_ISLNK(names['link-to-file'].external_attr >> 16)
            assert names['empty-dir/'].is_dir()
            assert (names['script.sh'].external_attr >> 16) & 0o777 == 0o750
            assert z.read('big-mixed.bin') == open(sys.argv[2] + '/big-mixed.bin', 'rb').read()
            print(len(names))
            """, result.Archive, source);

        Assert.True(unzip.ExitCode == 0, unzip.ToString());
        Assert.True(python.ExitCode == 0, python.ToString());
        var find = Shell.Run("find", source, "-mindepth", "1", "-printf", "x");
        Assert.Equal(find.Output.Length, int.Parse(python.Output.Trim(), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task Archive_PathLayout_IsDirnameHashAndUtcTimestamp()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("a", "docs")).File("x", "1");
        new TestTree(temp.Join("b", "docs")).File("y", "2");
        var archiver = new ZipArchiver(temp.Join("archive"));

        var first = await archiver.ArchiveAsync(temp.Join("a", "docs"), "h", CancellationToken.None);
        var second = await archiver.ArchiveAsync(temp.Join("b", "docs"), "h", CancellationToken.None);

        Assert.Matches(@"/archive/docs-[0-9a-f]{8}/\d{8}T\d{9}Z\.zip$", first.Archive);
        Assert.NotEqual(Path.GetDirectoryName(first.Archive), Path.GetDirectoryName(second.Archive));
        Assert.Empty(Directory.EnumerateFiles(temp.Join("archive"), ".*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Archive_SameMillisecondTwice_GivesTwoArchives()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("x", "1");
        var archiver = new ZipArchiver(temp.Join("archive"), time: new FixedTime(DateTimeOffset.Parse("2026-01-02T03:04:05.006Z", System.Globalization.CultureInfo.InvariantCulture)));

        var first = await archiver.ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);
        var second = await archiver.ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);

        Assert.EndsWith("20260102T030405006Z.zip", first.Archive, StringComparison.Ordinal);
        Assert.EndsWith("20260102T030405007Z.zip", second.Archive, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Archive_Cancelled_LeavesNoFile()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("big.bin", TestTree.RandomBytes(8 << 20, 1));
        using var cancel = new CancellationTokenSource();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new ZipArchiver(temp.Join("archive"), s_smallBlocks).ArchiveAsync(temp.Join("src"), "h", cancel.Token));

        Assert.Empty(Directory.EnumerateFiles(temp.Join("archive"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Archive_AbandonedPartialOfDeadProcess_IsRemoved()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("x", "1");
        var archiver = new ZipArchiver(temp.Join("archive"));
        var folder = archiver.FolderFor(temp.Join("src"));
        Directory.CreateDirectory(folder);
        var host = string.Concat(Environment.MachineName.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_'));
        var abandoned = Path.Join(folder, $".20200101T000000000Z.zip.partial-{host}-999999999");
        File.WriteAllText(abandoned, "half an archive");

        await archiver.ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);

        Assert.False(File.Exists(abandoned));
    }

    [Fact]
    public async Task Archive_FileChangingWhileRead_IsLeftOutAndReported()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        new TestTree(source).File("stable.txt", "stable").File("growing.log", TestTree.Text(4 << 20, 3));
        using var stop = new CancellationTokenSource();
        var appender = Task.Run(() =>
        {
            var line = new byte[4096];
            using var log = new FileStream(Path.Join(source, "growing.log"), FileMode.Append, FileAccess.Write, FileShare.ReadWrite, 1);
            while (!stop.IsCancellationRequested)
            {
                log.Write(line);
            }
        });

        var result = await new ZipArchiver(temp.Join("archive"), s_smallBlocks).ArchiveAsync(source, "h", CancellationToken.None);
        await stop.CancelAsync();
        await appender;

        var problem = Assert.Single(result.Problems);
        Assert.Equal("growing.log", problem.Path);
        Assert.Contains("changed while being read", problem.Message, StringComparison.Ordinal);
        Assert.False(result.Complete);
        var listing = Shell.Run("unzip", "-Z1", result.Archive);
        Assert.Equal("stable.txt", listing.Output.Trim());
        Assert.Equal(0, Shell.Run("unzip", "-tq", result.Archive).ExitCode);
    }

    [Fact]
    public async Task Archive_MoreThan65535Entries_WritesZip64EndRecords()
    {
        using var temp = new TempDirectory();
        var source = temp.Join("src");
        for (var d = 0; d < 70; d++)
        {
            var dir = Path.Join(source, $"d{d:00}");
            Directory.CreateDirectory(dir);
            for (var f = 0; f < 1000; f++)
            {
                File.WriteAllBytes(Path.Join(dir, $"f{f:000}"), []);
            }
        }

        var result = await new ZipArchiver(temp.Join("archive")).ArchiveAsync(source, "h", CancellationToken.None);

        var python = Shell.Run("python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); print(len(z.infolist()))", result.Archive);
        Assert.Equal("70070", python.Output.Trim());
        Assert.Equal(0, Shell.Run("unzip", "-tq", result.Archive).ExitCode);
        using var reader = ZipReader.Open(result.Archive);
        Assert.Equal(70070, reader.EntryCount);
    }

    [Fact]
    public async Task Archive_UnreadableFile_IsReportedAndOthersKept()
    {
        if (Environment.UserName == "root")
        {
            // Root reads mode-000 files; the end-to-end suite covers this case by running the executable as an unprivileged user.
            return;
        }
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("ok", "1").File("secret", "2", UnixFileMode.None);

        var result = await new ZipArchiver(temp.Join("archive")).ArchiveAsync(temp.Join("src"), "h", CancellationToken.None);

        Assert.Equal("secret", Assert.Single(result.Problems).Path);
    }

    internal static void BuildMixedTree(string root)
    {
        var mixed = new List<byte>();
        for (var i = 0; i < 12; i++)
        {
            mixed.AddRange(i % 2 == 0 ? TestTree.Text(100_000, i) : TestTree.RandomBytes(100_000, i));
        }
        new TestTree(root)
            .File("text.cs", TestTree.Text(200_000, 1))
            .File("random.bin", TestTree.RandomBytes(300_000, 2))
            .File("big-mixed.bin", mixed.ToArray())
            .File("empty.txt", "")
            .File("script.sh", "#!/bin/sh\necho hi\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute)
            .File("nested/deeper/leaf.txt", "leaf")
            .File("spaces and\ttabs.txt", "s")
            .File("unicode-é中文-😀.txt", "u")
            .File("line\nbreak.txt", "n")
            .Dir("empty-dir")
            .Link("link-to-file", "text.cs")
            .Link("link-to-dir", "nested")
            .Link("dangling", "does-not-exist");
        File.SetUnixFileMode(Path.Join(root, "nested"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var sparse = Path.Join(root, "sparse.img");
        using (var s = new FileStream(sparse, FileMode.Create))
        {
            s.SetLength(3 << 20);
            s.Position = 2 << 20;
            s.Write("tail"u8);
        }
        var time = new DateTime(2023, 5, 6, 7, 8, 9, DateTimeKind.Utc).AddTicks(1234567);
        foreach (var path in Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories))
        {
            File.SetLastWriteTimeUtc(path, time);
            time = time.AddSeconds(17);
        }
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
