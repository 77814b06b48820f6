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
}
