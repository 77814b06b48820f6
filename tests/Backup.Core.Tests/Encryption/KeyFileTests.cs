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

    [Fact]
    public void Derive_DefaultParameters_MatchesReferenceArgon2id()
    {
        // From the reference implementation (Debian's `argon2` tool):
        //   printf 'correct horse' | argon2 abcdefghijklmnop -id -t 2 -k 19456 -p 1 -l 32 -r
        // A different result would lock every existing repository out.
        var key = KeyFile.Derive("correct horse", "abcdefghijklmnop"u8.ToArray(), memoryKiB: 19456, iterations: 2, parallelism: 1);

        Assert.Equal("d33f7853bc1cb343c7ce4663d000fc8ab8af27e0749a4b4c6516cdbfe348b5eb", Convert.ToHexStringLower(key));
    }

    [Fact]
    public void Derive_NonAsciiPassword_UsesItsUtf8BytesUnnormalised()
    {
        // "é" as one code point and as e + combining accent are different passwords (no Unicode normalisation).
        var salt = "abcdefghijklmnop"u8.ToArray();

        var composed = KeyFile.Derive("caf\u00e9", salt, 1024, 1, 1);
        var decomposed = KeyFile.Derive("cafe\u0301", salt, 1024, 1, 1);

        Assert.NotEqual(composed, decomposed);
    }
}
