using System.Globalization;
using System.Text.RegularExpressions;
using Backup.Testing;

namespace Backup.Cli.Tests.Repository;

/// <summary><c>check --read-data-subset</c>: which packs a check reads, and that it says so truthfully.</summary>
public sealed partial class RepositoryCheckTests
{
    private const int Runs = 5;

    [Fact]
    public void CheckReadDataSubset_TenPercentOfFivePacks_ReadsOne()
    {
        using var world = SeveralPacks();
        var packs = world.Files("data").Length;

        var check = world.Expect(0, "check", "--read-data-subset", "10%");

        Assert.Equal(1, PacksRead(check));
        Assert.Contains($"{packs} packs (1 read", check.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckReadDataSubset_HalfRepeatedly_CoversEveryPack()
    {
        using var world = SeveralPacks();
        var packs = DamageEveryPack(world);
        var seen = new HashSet<string>(StringComparer.Ordinal);

        // Each check reads 3 of the 5 packs, chosen afresh: a pack is missed 12 times in a row with odds of 0.4^12.
        for (var i = 0; i < 12 && seen.Count < packs.Count; i++)
        {
            var check = world.Expect(1, "check", "--read-data-subset", "50%");
            var damaged = DamagedPacks(check);
            Assert.Equal((packs.Count + 1) / 2, damaged.Count);
            Assert.Equal(damaged.Count, PacksRead(check));
            seen.UnionWith(damaged);
        }

        Assert.Equal(packs.Order(StringComparer.Ordinal), seen.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void CheckReadDataSubset_GroupsOfThree_ReadEveryPackExactlyOnce()
    {
        using var world = SeveralPacks();
        var packs = DamageEveryPack(world);
        var read = new List<string>();

        for (var n = 1; n <= 3; n++)
        {
            var check = world.Run("check", "--read-data-subset", $"{n}/3");
            var damaged = DamagedPacks(check);
            Assert.True(check.ExitCode == (damaged.Count == 0 ? 0 : 1), check.ToString());
            Assert.Equal(damaged.Count, PacksRead(check));
            read.AddRange(damaged);
            // The same group is the same packs at every run: a user covers the repository in three.
            Assert.Equal(damaged, DamagedPacks(world.Run("check", "--read-data-subset", $"{n}/3")));
        }

        Assert.Equal(packs.Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("0%")]
    [InlineData("101%")]
    [InlineData("0/3")]
    [InlineData("4/3")]
    [InlineData("1/0")]
    [InlineData("x")]
    public void CheckReadDataSubset_Invalid_IsAUsageError(string subset)
    {
        using var world = new RepositoryProcess();
        world.Init();

        var check = world.Expect(2, "check", "--read-data-subset", subset);

        Assert.Contains("--read-data-subset", check.Error, StringComparison.Ordinal);
    }

    /// <summary>A repository of <see cref="Runs"/> packs: each run stores one small pack of its own.</summary>
    private static RepositoryProcess SeveralPacks()
    {
        var world = new RepositoryProcess();
        var src = world.Join("src");
        world.Init();
        for (var i = 0; i < Runs; i++)
        {
            new TestTree(src).File($"f{i}.bin", TestTree.RandomBytes(200_000, 40 + i));
            if (i == 0)
            {
                world.Add(src);
            }
            world.Expect(0, "run");
        }
        Assert.Equal(Runs, world.Files("data").Length);
        return world;
    }

    /// <summary>Flips a byte in the middle of every pack; returns their names.</summary>
    private static List<string> DamageEveryPack(RepositoryProcess world)
    {
        var names = new List<string>();
        foreach (var pack in world.Files("data"))
        {
            using (var stream = File.Open(pack, FileMode.Open))
            {
                stream.Position = stream.Length / 2;
                var b = stream.ReadByte();
                stream.Position = stream.Length / 2;
                stream.WriteByte((byte)(b ^ 0x40));
            }
            names.Add(Path.GetFileName(pack));
        }
        return names;
    }

    private static List<string> DamagedPacks(Shell.Result check) =>
        [.. DamagedPack().Matches(check.Error).Select(m => m.Groups[1].Value).Distinct().Order(StringComparer.Ordinal)];

    private static int PacksRead(Shell.Result check)
    {
        var match = ReadCount().Match(check.Output);
        Assert.True(match.Success, check.ToString());
        return int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"error: pack ([0-9a-f]{64})")]
    private static partial Regex DamagedPack();

    [GeneratedRegex(@"packs? \((\d+) read")]
    private static partial Regex ReadCount();
}
