using Backup.Core.Changes;

namespace Backup.Core.Tests.Changes;

public sealed class ChangedDirectoriesTests
{
    [Fact]
    public void ShouldList_MarkedDirectory_ListsItAndItsAncestorsOnly()
    {
        var set = new ChangedDirectories();
        set.Add("a/b/c"u8);

        Assert.True(set.ShouldList("a"u8, out var deep) && !deep);
        Assert.True(set.ShouldList("a/b"u8, out _));
        Assert.True(set.ShouldList("a/b/c"u8, out deep) && !deep);
        Assert.False(set.ShouldList("a/b/c/d"u8, out _));
        Assert.False(set.ShouldList("a/x"u8, out _));
        Assert.False(set.ShouldList("ab"u8, out _));
    }

    [Fact]
    public void ShouldList_DeepDirectory_ListsEverythingBelow()
    {
        var set = new ChangedDirectories();
        set.Add("n"u8, deep: true);

        Assert.True(set.ShouldList("n"u8, out var deep) && deep);
        Assert.True(set.ShouldList("n/x/y"u8, out deep) && deep);
        Assert.False(set.ShouldList("m"u8, out _));
        Assert.False(set.ShouldList("nn"u8, out _));
    }

    [Fact]
    public void Add_ListedAfterDeep_StaysDeep()
    {
        var set = new ChangedDirectories();
        set.Add("n"u8, deep: true);
        set.Add("n"u8);

        Assert.True(set.ShouldList("n/child"u8, out var deep) && deep);
        Assert.Equal(1, set.Count);
    }

    [Fact]
    public void UnionWith_Everything_MakesEverything()
    {
        var set = new ChangedDirectories();
        set.Add("a"u8);
        var all = new ChangedDirectories();
        all.AddEverything();

        set.UnionWith(all);

        Assert.True(set.Everything);
        Assert.True(set.ShouldList("any/where"u8, out var deep) && deep);
    }

    [Fact]
    public void Names_NotUtf8_AreKeptByteForByte()
    {
        var set = new ChangedDirectories();
        set.Add([0x63, 0xE9, 0x2F, 0xFF]);

        Assert.True(set.ShouldList([0x63, 0xE9], out _));
        Assert.False(set.ShouldList([0x63, 0xC3, 0xA9], out _));
        Assert.Equal([0x63, 0xE9, 0x2F, 0xFF], Assert.Single(set.Marked).Path);
    }
}
