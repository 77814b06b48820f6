using Backup.Core.Catalog;
using Backup.Core.Sources;
using Backup.Testing;

namespace Backup.Core.Tests.Catalog;

public class CatalogStoreExcludesTests
{
    private static readonly DateTimeOffset s_now = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void WatchPath_NewPathWithRules_StoresThemForTheNextOpen()
    {
        using var temp = new TempDirectory();
        var rules = new ExcludeRules { Patterns = ["*.tmp"], ExcludeLargerThan = 100 };
        using (var catalog = CatalogStore.Open(temp.Join("c.db")))
        {
            var (added, before, after) = catalog.WatchPath("/src", s_now, _ => rules);

            Assert.True(added);
            Assert.True(before.IsEmpty);
            Assert.Equal(rules, after);
        }

        using var reopened = CatalogStore.Open(temp.Join("c.db"));
        Assert.Equal(rules, reopened.GetWatchedPaths().Single().Rules);
        Assert.Equal(rules, reopened.GetWatchedPaths("/dest").Single().Rules);
    }

    [Fact]
    public void WatchPath_WatchedPathWithoutUpdate_KeepsItsRules()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        var rules = new ExcludeRules { ExcludeCaches = true };
        catalog.WatchPath("/src", s_now, _ => rules);

        var (added, before, after) = catalog.WatchPath("/src", s_now, null);

        Assert.False(added);
        Assert.Equal(rules, before);
        Assert.Equal(rules, after);
        Assert.Equal(rules, catalog.GetWatchedPaths().Single().Rules);
    }

    [Fact]
    public void WatchPath_ClearedRules_StoresNone()
    {
        using var temp = new TempDirectory();
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.WatchPath("/src", s_now, _ => new ExcludeRules { Patterns = ["x"] });

        catalog.WatchPath("/src", s_now, _ => ExcludeRules.None);

        Assert.True(catalog.GetWatchedPaths().Single().Rules.IsEmpty);
    }
}
