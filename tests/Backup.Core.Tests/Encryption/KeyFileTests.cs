using Backup.Core.Encryption;

namespace Backup.Core.Tests.Encryption;

public class KeyFileTests
{
    // Small KDF cost: the test checks the wrapping, not Argon2's strength.
    private static readonly KdfParameters s_cheap = new() { MemoryKiB = 1024, Iterations = 1 };

    [Fact]
    public void Unlock_RightPassword_GivesMasterKey()
    {
        var (file, master) = KeyFile.Create("correct horse", s_cheap);

        var stored = KeyFile.Parse(file.ToJson());

        Assert.Equal(64, master.Length);
        Assert.Equal(master, stored.Unlock("correct horse"));
    }

    [Fact]
    public void Unlock_WrongPassword_ThrowsWrongPassword()
    {
        var (file, _) = KeyFile.Create("correct horse", s_cheap);

        Assert.Throws<WrongPasswordException>(() => file.Unlock("battery staple"));
    }

    [Fact]
    public void Wrap_ExistingMaster_NewPasswordUnlocksTheSameMaster()
    {
        var (first, master) = KeyFile.Create("correct horse", s_cheap);

        var second = KeyFile.Parse(KeyFile.Wrap(master, "battery staple", s_cheap).ToJson());

        Assert.Equal(master, second.Unlock("battery staple"));
        Assert.NotEqual(first.Salt, second.Salt);
        Assert.Throws<WrongPasswordException>(() => second.Unlock("correct horse"));
    }

    [Fact]
    public void Wrap_MasterOfWrongLength_Throws()
    {
        Assert.Throws<ArgumentException>(() => KeyFile.Wrap(new byte[32], "pw", s_cheap));
    }

    [Fact]
    public void Created_Set_RoundTripsThroughJson()
    {
        var created = new DateTimeOffset(2026, 11, 26, 14, 2, 11, TimeSpan.Zero);
        var (file, _) = KeyFile.Create("pw", s_cheap);

        var stored = KeyFile.Parse((file with { Created = created }).ToJson());

        Assert.Equal(created, stored.Created);
    }

    [Fact]
    public void Created_NotSet_IsLeftOutOfTheJson()
    {
        var (file, _) = KeyFile.Create("pw", s_cheap);

        Assert.DoesNotContain("created", System.Text.Encoding.UTF8.GetString(file.ToJson()), StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_KeyFileWithoutCreated_OpensWithNullCreated()
    {
        // A key file as written before "created" existed: the field is optional.
        var (file, master) = KeyFile.Create("pw", s_cheap);
        var json = $"{{\"version\":1,\"kdf\":\"argon2id\",\"m\":{file.MemoryKiB},\"t\":{file.Iterations},\"p\":{file.Parallelism},"
            + $"\"salt\":\"{Convert.ToBase64String(file.Salt)}\",\"wrapped\":\"{Convert.ToBase64String(file.Wrapped)}\"}}";

        var stored = KeyFile.Parse(System.Text.Encoding.UTF8.GetBytes(json));

        Assert.Null(stored.Created);
        Assert.Equal(master, stored.Unlock("pw"));
    }

    [Fact]
    public void Parse_NotJson_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => KeyFile.Parse("not a key"u8));
    }
}
