using Backup.Core.Archiving.Trees;
using Backup.Core.Archiving.Zip;
using Backup.Core.Catalog;
using Backup.Core.Encryption;
using Backup.Core.Monitoring;
using Backup.Core.Repositories.Maintenance;
using Backup.Core.Repositories.Packs;
using Backup.Core.Restore;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Backup.Core.Tests;

/// <summary>The counters the engine reports progress through, and the engine's reporting into them.</summary>
public sealed class ProgressCountersTests
{
    private static readonly CancellationToken s_none = CancellationToken.None;

    [Fact]
    public void Read_BeforeAnyPhase_IsNotStartedAndKnowsNoShare()
    {
        var s = new ProgressCounters().Read();

        Assert.False(s.Started);
        Assert.Null(s.Fraction);
        Assert.Null(s.Remaining);
    }

    [Fact]
    public void Read_MoreDoneThanCounted_RaisesTheTotalsSoDoneNeverExceedsThem()
    {
        var counters = new ProgressCounters();
        counters.Begin("archiving", "/src", "files", totalItems: 2, totalBytes: 10);

        counters.CompleteItem(8);
        counters.CompleteItem(8);
        counters.CompleteItem(8);
        var s = counters.Read();

        Assert.Equal(3, s.ItemsDone);
        Assert.Equal(3, s.TotalItems);
        Assert.Equal(24, s.BytesDone);
        Assert.Equal(24, s.TotalBytes);
        Assert.Equal(1, s.Fraction);
    }

    [Fact]
    public async Task CompleteItem_FromManyThreads_CountsEveryItemAndByte()
    {
        var counters = new ProgressCounters();
        counters.Begin("restoring", "/t", "files", 8_000, 8_000 * 3);

        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < 1000; i++)
            {
                counters.AddBytes(1);
                counters.CompleteItem(2);
            }
        })));
        var s = counters.Read();

        Assert.Equal(8_000, s.ItemsDone);
        Assert.Equal(24_000, s.BytesDone);
        Assert.Equal(1, s.Fraction);
    }

    [Fact]
    public void Begin_NextPhase_StartsCountsAgainAndChangesTheGeneration()
    {
        var counters = new ProgressCounters();
        counters.Begin("checking", "/src", "files");
        counters.CompleteItem(5);
        counters.SetCurrent("a");
        var first = counters.Read();

        counters.Begin("archiving", "/src", "files", 4, 100);
        var second = counters.Read();

        Assert.Equal(0, second.ItemsDone);
        Assert.Equal(0, second.BytesDone);
        Assert.Null(second.Current);
        Assert.Equal("archiving", second.Phase);
        Assert.NotEqual(first.Generation, second.Generation);
        Assert.Null(first.TotalItems);
    }

    [Theory]
    [InlineData(10, 100, 5, 25, 0.25)] // by bytes: a big file counts more than a small one
    [InlineData(10, 0, 5, 0, 0.5)] // empty files: by items
    [InlineData(0, 0, 0, 0, 1.0)] // nothing to do is done
    public void Fraction_KnownTotals_IsTheShareDone(long items, long bytes, long itemsDone, long bytesDone, double expected)
    {
        var counters = new ProgressCounters();
        counters.Begin("archiving", "/src", "files", items, bytes);
        for (var i = 0; i < itemsDone; i++)
        {
            counters.CompleteItem();
        }
        counters.AddBytes(bytesDone);

        Assert.Equal(expected, counters.Read().Fraction);
    }

    [Fact]
    public void Remaining_AQuarterDoneAfterTenSeconds_ThirtySecondsLeft()
    {
        var clock = new FakeTimeProvider();
        var counters = new ProgressCounters(clock);
        counters.Begin("archiving", "/src", "files", 4, 400);
        var before = counters.Read();

        clock.Advance(TimeSpan.FromSeconds(10));
        counters.CompleteItem(100);
        var s = counters.Read();

        Assert.Null(before.Remaining);
        Assert.Equal(TimeSpan.FromSeconds(10), s.Elapsed);
        Assert.Equal(TimeSpan.FromSeconds(30), s.Remaining);
        Assert.Equal(10, s.BytesPerSecond);
    }

    [Fact]
    public void Remaining_UnknownTotals_IsNull()
    {
        var clock = new FakeTimeProvider();
        var counters = new ProgressCounters(clock);
        counters.Begin("checking", "/src", "files");
        clock.Advance(TimeSpan.FromSeconds(3));
        counters.CompleteItem(10);

        Assert.Null(counters.Read().Remaining);
    }

    [Fact]
    public void End_WithACallback_HearsTheFinalCountsOnce()
    {
        var heard = new List<ProgressSnapshot>();
        var counters = new ProgressCounters(onPhaseEnd: heard.Add);
        counters.Begin("archiving", "/src", "files", 1, 3);
        counters.CompleteItem(3);

        counters.End();

        var last = Assert.Single(heard);
        Assert.True(last.Ended);
        Assert.Equal(1, last.ItemsDone);
        Assert.True(counters.Read().Ended);
    }

    [Fact]
    public void SetCurrent_RawNameThatIsNotUtf8_IsShownEscaped()
    {
        var counters = new ProgressCounters();
        counters.Begin("archiving", "/src", "files");

        counters.SetCurrent([(byte)'d', (byte)'/', 0xff, (byte)'x']);

        var current = counters.Read().Current;
        Assert.NotNull(current);
        Assert.StartsWith("d/", current, StringComparison.Ordinal);
        Assert.DoesNotContain('\uFFFD', current);
    }

    [Fact]
    public async Task ChangeMonitor_ZipArchive_CountsEveryFileAndByteAgainstTheWalksTotals()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("docs")).File("a.txt", "12345").File("d/b.bin", TestTree.RandomBytes(3 << 20, 1)).File("d/e/c", "").Link("l", "a.txt");
        using var catalog = CatalogStore.Open(temp.Join("c.db"));
        catalog.AddPath(temp.Join("docs"), DateTimeOffset.UtcNow);
        var ended = new List<ProgressSnapshot>();
        var counters = new ProgressCounters(onPhaseEnd: ended.Add);
        var archiver = new ZipArchiver(temp.Join("archive"), new ZipArchiverOptions { Progress = counters });

        await new ChangeMonitor(catalog, archiver) { Progress = counters }.CheckAsync(s_none);

        var s = Assert.Single(ended);
        Assert.Equal(("archiving", temp.Join("docs")), (s.Phase, s.Subject));
        Assert.Equal((3L, 3L), (s.ItemsDone, s.TotalItems!.Value));
        Assert.Equal(((3L << 20) + 5, (3L << 20) + 5), (s.BytesDone, s.TotalBytes!.Value));
    }

    [Fact]
    public async Task RepositoryArchiverRestoreAndCheck_CountWhatTheyRead()
    {
        using var temp = new TempDirectory();
        new TestTree(temp.Join("src")).File("a", TestTree.RandomBytes(2 << 20, 2)).File("b/c", "xyz");
        await LocalRepository.InitAsync(temp.Join("repo"), "pw", new KdfParameters { MemoryKiB = 1024, Iterations = 1 }, s_none);
        using var repository = await LocalRepository.OpenAsync(temp.Join("repo"), "pw", s_none);
        var counters = new ProgressCounters();

        counters.Begin("archiving", temp.Join("src"), "files", 2, (2 << 20) + 3);
        var archived = await new RepositoryArchiver(repository, progress: counters).ArchiveAsync(temp.Join("src"), "h", s_none);
        var afterArchive = counters.Read();
        await new RepositoryArchiver(repository).RestoreAsync(archived.Archive, temp.Join("out"), new RestoreOptions { Progress = counters }, s_none);
        var afterRestore = counters.Read();
        await new RepositoryChecker(repository, counters).CheckAsync(PackSubset.All, s_none);
        var afterCheck = counters.Read();

        Assert.Equal((2L, (2L << 20) + 3), (afterArchive.ItemsDone, afterArchive.BytesDone));
        Assert.Equal(("restoring", 2L, 2L, (2L << 20) + 3), (afterRestore.Phase, afterRestore.ItemsDone, afterRestore.TotalItems!.Value, afterRestore.BytesDone));
        Assert.Equal("reading packs", afterCheck.Phase);
        Assert.Equal(afterCheck.TotalItems, afterCheck.ItemsDone);
        Assert.Equal(afterCheck.TotalBytes, afterCheck.BytesDone);
        Assert.True(afterCheck.ItemsDone > 0);
    }
}
