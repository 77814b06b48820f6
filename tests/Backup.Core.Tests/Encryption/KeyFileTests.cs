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
