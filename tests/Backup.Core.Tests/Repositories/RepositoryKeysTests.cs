using Backup.Core.Encryption;
using Backup.Core.Repositories;
using Backup.Core.Snapshots;
using Backup.Testing;
using Microsoft.Extensions.Time.Testing;
using RepositoryType = Backup.Core.Repositories.Repository;

namespace Backup.Core.Tests.Repositories;

/// <summary>Repository.Keys: several passwords for one master key, and the rules that keep at least one working.</summary>
public class RepositoryKeysTests
{
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };
    private static readonly DateTimeOffset s_now = new(2026, 11, 26, 14, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task AddKey_NewPassword_BothPasswordsOpenTheSameData()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        string snapshot;
        string added;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None))
        {
            snapshot = await repository.SaveSnapshotAsync(new() { Time = s_now, Host = "h", SourcePath = "/src", Tree = new string('0', 64) }, CancellationToken.None);
            added = await repository.AddKeyAsync("b", s_cheap, s_now, CancellationToken.None);
        }

        using var withA = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None);
        using var withB = await Backup.Testing.LocalRepository.OpenAsync(repo, "b", CancellationToken.None);

        Assert.Equal(added, withB.KeyId);
        Assert.NotEqual(withA.KeyId, withB.KeyId);
        Assert.Equal("/src", (await withB.LoadSnapshotAsync(snapshot, CancellationToken.None)).SourcePath);
        Assert.Equal(withA.Config.Id, withB.Config.Id);
        var keys = await withB.ListKeysAsync(CancellationToken.None);
        Assert.Equal([withA.KeyId, added], keys.Select(k => k.Id));
        Assert.Equal(s_now, keys[1].Key.Created);
    }

    [Fact]
    public async Task RemoveKey_OtherKeyByPrefix_ItsPasswordNoLongerOpens()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        string first;
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None))
        {
            first = repository.KeyId;
            await repository.AddKeyAsync("b", s_cheap, s_now, CancellationToken.None);
        }
        using (var withB = await Backup.Testing.LocalRepository.OpenAsync(repo, "b", CancellationToken.None))
        {
            Assert.Equal(first, await withB.RemoveKeyAsync(first[..6].ToUpperInvariant(), CancellationToken.None));
        }

        await Assert.ThrowsAsync<WrongPasswordException>(() => Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None));
        using var still = await Backup.Testing.LocalRepository.OpenAsync(repo, "b", CancellationToken.None);
        Assert.Single(await still.ListKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task RemoveKey_TheKeyThatOpened_RefusesAndKeepsIt()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None);
        await repository.AddKeyAsync("b", s_cheap, s_now, CancellationToken.None);

        var e = await Assert.ThrowsAsync<BackupException>(() => repository.RemoveKeyAsync(repository.KeyId, CancellationToken.None));

        Assert.Contains("opened the repository", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await repository.ListKeysAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task RemoveKey_LastKey_RefusesAndKeepsIt()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None);

        var e = await Assert.ThrowsAsync<BackupException>(() => repository.RemoveKeyAsync(repository.KeyId, CancellationToken.None));

        Assert.Contains("only key", e.Message, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Join(repo, "keys")));
    }

    [Theory]
    [InlineData("abc", "too short")]
    [InlineData("zzzzzzzz", "no key")] // not hex: no key id can start with it
    public async Task RemoveKey_BadId_RefusesNamingIt(string id, string message)
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None);
        await repository.AddKeyAsync("b", s_cheap, s_now, CancellationToken.None);

        var e = await Assert.ThrowsAsync<BackupException>(() => repository.RemoveKeyAsync(id, CancellationToken.None));

        Assert.Contains(message, e.Message, StringComparison.Ordinal);
        Assert.Contains(id, e.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await repository.ListKeysAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task ChangePassword_OldNoLongerOpensNewDoes()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);
        using (var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None))
        {
            var old = repository.KeyId;

            var (added, removed) = await repository.ChangePasswordAsync("b", s_cheap, s_now, CancellationToken.None);

            Assert.Equal(old, removed);
            Assert.Equal(added, repository.KeyId);
        }
        await Assert.ThrowsAsync<WrongPasswordException>(() => Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None));
        using var reopened = await Backup.Testing.LocalRepository.OpenAsync(repo, "b", CancellationToken.None);
        Assert.Single(await reopened.ListKeysAsync(CancellationToken.None));
    }

    [Fact]
    public async Task AddKey_RepositoryWithoutEncryption_RefusesAndWritesNothing()
    {
        using var temp = new TempDirectory();
        var repo = temp.Join("repo");
        await Backup.Testing.LocalRepository.InitAsync(repo, null, null, CancellationToken.None);
        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "unused", CancellationToken.None);

        var e = await Assert.ThrowsAsync<BackupException>(() => repository.AddKeyAsync("b", s_cheap, s_now, CancellationToken.None));

        Assert.Contains("--no-encryption", e.Message, StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(Path.Join(repo, "keys")));
    }

    [Fact]
    public async Task Init_WithTime_RecordsItAsTheKeysCreationTime()
    {
        using var temp = new TempDirectory();
        var repo = await InitAsync(temp);

        using var repository = await Backup.Testing.LocalRepository.OpenAsync(repo, "a", CancellationToken.None);

        var (id, key) = Assert.Single(await repository.ListKeysAsync(CancellationToken.None));
        Assert.Equal(repository.KeyId, id);
        Assert.Equal(s_now.AddDays(-1), key.Created);
    }

    private static async Task<string> InitAsync(TempDirectory temp)
    {
        var repo = temp.Join("repo");
        using (var store = new Backup.Core.Storage.LocalBlobStore(repo))
        {
            await RepositoryType.InitAsync(store, "a", s_cheap, new FakeTimeProvider(s_now.AddDays(-1)), CancellationToken.None);
        }
        return repo;
    }
}
