namespace Backup.Cli.Tests.Repository;

/// <summary><c>key list --json</c>: a JSON line per key, the one that opened the repository marked.</summary>
public sealed class KeyListJsonTests
{
    [Fact]
    public void KeyListJson_TwoKeys_OneLineEachAndTheCurrentMarked()
    {
        using var world = new RepositoryProcess();
        world.Init();
        var second = world.Join("pw2");
        File.WriteAllText(second, "other password\n");
        world.Expect(0, "key", "add", "--new-password-file", second);

        var lines = JsonLinesOutput.Parse(world.Expect(0, "key", "list", "--json").Output);

        Assert.Equal(2, lines.Count);
        Assert.Equal(Directory.GetFiles(Path.Join(world.Repo, "keys")).Select(Path.GetFileName).Order(StringComparer.Ordinal),
            lines.Select(l => l.GetProperty("id").GetString()).Order(StringComparer.Ordinal));
        Assert.Single(lines, l => l.GetProperty("current").GetBoolean());
        Assert.All(lines, l => Assert.Equal("argon2id", l.GetProperty("kdf").GetString()));
        Assert.All(lines, l => Assert.True(l.GetProperty("memory_kib").GetInt32() > 0));
        Assert.All(lines, l => l.GetProperty("created").GetDateTimeOffset());
    }
}
