using Backup.Core.Posix;
using Backup.Testing;

namespace Backup.Core.Tests.Posix;

public class XattrsTests
{
    [Fact]
    public void Read_PathAndHandle_SortedRawNamesAndValues()
    {
        using var temp = new TempDirectory();
        var file = temp.Join("f");
        File.WriteAllText(file, "x");
        SetWithPython(file, "user.zeta", "b'z'");
        SetWithPython(file, "user.alpha", "b'\\x00\\xff'");
        SetWithPython(file, "user.empty", "b''");

        var byPath = Xattrs.Read(file);
        using var handle = PosixFile.OpenForReading(file);
        var byHandle = Xattrs.Read(handle, file);

        foreach (var list in new[] { byPath, byHandle })
        {
            Assert.Equal(["user.alpha", "user.empty", "user.zeta"], list.Select(x => x.DisplayName));
            Assert.Equal(new byte[] { 0, 0xFF }, list[0].Value);
            Assert.Empty(list[1].Value);
            Assert.Equal("z"u8.ToArray(), list[2].Value);
        }
    }

    [Fact]
    public void Read_None_Empty()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("f"), "x");
        File.CreateSymbolicLink(temp.Join("s"), "f");

        Assert.Empty(Xattrs.Read(temp.Join("f")));
        Assert.Empty(Xattrs.Read(temp.Join("s")));
    }

    [Fact]
    public void Read_Symlink_ReadsTheLinkNotItsTarget()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("f"), "x");
        File.CreateSymbolicLink(temp.Join("s"), "f");
        SetWithPython(temp.Join("f"), "user.on_target", "b'1'");

        Assert.Empty(Xattrs.Read(temp.Join("s")));
    }

    [Fact]
    public void TryWrite_PathAndHandle_ReadBackTheSame()
    {
        using var temp = new TempDirectory();
        File.WriteAllText(temp.Join("f"), "x");
        Directory.CreateDirectory(temp.Join("d"));
        var value = new byte[] { 1, 0, 2 };

        Assert.Equal(0, Xattrs.TryWrite(temp.Join("d"), new Xattr("user.d"u8.ToArray(), value)));
        using (var handle = File.OpenHandle(temp.Join("f"), FileMode.Open, FileAccess.Write))
        {
            Assert.Equal(0, Xattrs.TryWrite(handle, new Xattr("user.f"u8.ToArray(), value)));
        }

        Assert.Equal(value, Assert.Single(Xattrs.Read(temp.Join("d"))).Value);
        Assert.Equal(value, Assert.Single(Xattrs.Read(temp.Join("f"))).Value);
    }

    [Fact]
    public void TryWrite_UserAttributeOnSymlink_ReturnsTheErrorWithoutThrowing()
    {
        using var temp = new TempDirectory();
        File.CreateSymbolicLink(temp.Join("s"), "nowhere");

        // The kernel allows user.* attributes only on files and directories.
        Assert.NotEqual(0, Xattrs.TryWrite(temp.Join("s"), new Xattr("user.x"u8.ToArray(), [1])));
    }

    internal static void SetWithPython(string path, string name, string pythonBytes)
    {
        var result = Shell.Run("python3", "-c", $"import os,sys; os.setxattr(sys.argv[1], '{name}', {pythonBytes}, follow_symlinks=False)", path);
        Assert.True(result.ExitCode == 0, result.ToString());
    }
}
