using System.Buffers.Binary;
using Backup.Core.Posix;

namespace Backup.Core.Tests.Posix;

public sealed class InotifyTests
{
    [Fact]
    public void Parse_TwoEvents_GivesNamesWithoutPadding()
    {
        var bytes = new byte[16 + 16 + 16];
        Write(bytes, 0, wd: 3, mask: Inotify.Create, cookie: 0, name: "abc"u8, length: 16);
        Write(bytes, 32, wd: 4, mask: Inotify.QueueOverflow, cookie: 7, name: ""u8, length: 0);
        var events = new List<InotifyEvent>();

        Inotify.Parse(bytes.AsSpan(0, 48), events.Add);

        Assert.Equal(2, events.Count);
        Assert.Equal((3, Inotify.Create, "abc"), (events[0].Wd, events[0].Mask, System.Text.Encoding.ASCII.GetString(events[0].Name)));
        Assert.Equal((4, 7u), (events[1].Wd, events[1].Cookie));
        Assert.Empty(events[1].Name);
    }

    [Fact]
    public void Parse_NameLongerThanTheBuffer_IsRefused()
    {
        var bytes = new byte[20];
        Write(bytes, 0, wd: 1, mask: 0, cookie: 0, name: ""u8, length: 1000);

        Assert.Throws<InvalidDataException>(() => Inotify.Parse(bytes, _ => { }));
    }

    [Fact]
    public void Watch_RealDirectory_ReportsACreatedFileByName()
    {
        using var temp = new Backup.Testing.TempDirectory();
        using var inotify = new Inotify(watchMounts: false);
        using var root = WalkDirectory.OpenRoot(temp.Path);
        var wd = root.AddWatch(inotify);
        var seen = new List<InotifyEvent>();
        var reader = new Thread(() => inotify.Run(e => { lock (seen) { seen.Add(e); } if (e.Name.Length > 0) { inotify.Stop(); } }, () => { }));
        reader.Start();

        File.WriteAllText(System.IO.Path.Join(temp.Path, "hello"), "x");

        Assert.True(reader.Join(TimeSpan.FromSeconds(10)), "no event came");
        var created = seen.First(e => e.Name.Length > 0);
        Assert.Equal(wd, created.Wd);
        Assert.True((created.Mask & Inotify.Create) != 0);
        Assert.Equal("hello", System.Text.Encoding.ASCII.GetString(created.Name));
    }

    private static void Write(byte[] buffer, int at, int wd, uint mask, uint cookie, ReadOnlySpan<byte> name, int length)
    {
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), wd);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at + 4), mask);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at + 8), cookie);
        BinaryPrimitives.WriteUInt32LittleEndian(buffer.AsSpan(at + 12), (uint)length);
        name.CopyTo(buffer.AsSpan(at + 16));
    }
}
