using System.Globalization;
using Backup.Testing;

namespace Backup.Cli.Tests;

/// <summary>A file past the 4 GiB limit of plain zip, mostly holes: Zip64 on the way in, holes on the way out.</summary>
public sealed class LargeFileTests
{
    // Compares two files over the union of their data extents (SEEK_DATA/SEEK_HOLE): everything else is a hole in both,
    // so this is a full comparison that reads kilobytes instead of gigabytes (cmp of two 5 GiB files takes a minute).
    private const string SparseCompareScript = """
        import os, sys
        def extents(path):
            fd = os.open(path, os.O_RDONLY)
            size, at, out = os.fstat(fd).st_size, 0, []
            try:
                while at < size:
                    try:
                        start = os.lseek(fd, at, os.SEEK_DATA)
                    except OSError:
                        break
                    end = os.lseek(fd, start, os.SEEK_HOLE)
                    out.append((start, end))
                    at = end
            finally:
                os.close(fd)
            return out
        a, b = sys.argv[1:3]
        assert os.path.getsize(a) == os.path.getsize(b), 'sizes differ'
        with open(a, 'rb') as fa, open(b, 'rb') as fb:
            for start, end in extents(a) + extents(b):
                fa.seek(start); fb.seek(start)
                while start < end:
                    n = min(1 << 20, end - start)
                    if fa.read(n) != fb.read(n):
                        print('differ at', start); sys.exit(0)
                    start += n
        print('equal')
        """;

    [Fact]
    public void Run_SparseFiveGibFile_WritesZip64AndRestoresSparse()
    {
        const long size = 5L << 30;
        using var backup = new BackupProcess();
        var src = backup.Dir("sparse");
        var big = Path.Join(src, "big.bin");
        using (var stream = new FileStream(big, FileMode.CreateNew, FileAccess.Write))
        {
            stream.SetLength(size);
            stream.Position = 1 << 20;
            stream.Write("near the start"u8);
            stream.Position = size - 4096 - 7;
            stream.Write("near the end, across a block boundary"u8);
        }
        new TestTree(src).File("small.txt", "small");
        Assert.Equal(0, backup.Run("add", src).ExitCode);

        var run = backup.Run("run");

        Assert.True(run.ExitCode == 0, run.ToString());
        var zip = Assert.Single(ArchiveFolder.Zips(backup.Archive));
        var fileSize = ArchiveFolder.Python("import sys, zipfile\nprint(zipfile.ZipFile(sys.argv[1]).getinfo('big.bin').file_size)", zip);
        Assert.Equal(size.ToString(CultureInfo.InvariantCulture), fileSize.Trim());
        ArchiveFolder.AssertValid(zip);
        var restored = backup.Join("restored");
        var restore = backup.Run("restore", zip, "--target", restored);
        Assert.True(restore.ExitCode == 0, restore.ToString());
        var copy = Path.Join(restored, "big.bin");
        Assert.Equal(size, new FileInfo(copy).Length);
        var blocks = long.Parse(Shell.Run("stat", "-c", "%b", copy).Output.Trim(), CultureInfo.InvariantCulture);
        Assert.True(blocks * 512 < 64L << 20, $"restored file is not sparse: {blocks} blocks of 512 bytes allocated");
        foreach (var (offset, length) in new[] { (1L << 20, 4096L), (size - 8192, 8192L) })
        {
            var cmp = Shell.Run("cmp", "-i", offset.ToString(CultureInfo.InvariantCulture), "-n", length.ToString(CultureInfo.InvariantCulture), big, copy);
            Assert.True(cmp.ExitCode == 0, cmp.ToString());
        }
        Assert.Equal("equal", ArchiveFolder.Python(SparseCompareScript, big, copy).Trim());
        TreeAssert.Identical(src, restored, "big.bin");
    }

}
