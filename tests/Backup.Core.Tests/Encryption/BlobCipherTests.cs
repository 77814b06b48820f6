using System.Security.Cryptography;
using Backup.Core.Encryption;

namespace Backup.Core.Tests.Encryption;

public class BlobCipherTests
{
    private static readonly byte[] s_key = RandomNumberGenerator.GetBytes(32);

    [Fact]
    public void SealOpen_RoundTrips()
    {
        using var cipher = new BlobCipher(s_key);

        var sealedBlob = cipher.Seal(BlobType.Snapshot, "hello"u8);

        Assert.Equal(5 + BlobCipher.Overhead, sealedBlob.Length);
        Assert.Equal("hello"u8.ToArray(), cipher.Open(BlobType.Snapshot, sealedBlob));
    }

    [Fact]
    public void SealInPlace_OpensLikeSeal()
    {
        using var cipher = new BlobCipher(s_key);
        var plaintext = "in place"u8.ToArray();
        var buffer = new byte[BlobCipher.Overhead + plaintext.Length + 5];
        plaintext.CopyTo(buffer, BlobCipher.PlaintextOffset);

        var length = cipher.SealInPlace(BlobType.Data, buffer, plaintext.Length);

        Assert.Equal(BlobCipher.Overhead + plaintext.Length, length);
        Assert.False(buffer.AsSpan(BlobCipher.PlaintextOffset, plaintext.Length).SequenceEqual(plaintext));
        Assert.Equal(plaintext, cipher.Open(BlobType.Data, buffer.AsSpan(0, length)));
        Assert.Throws<InvalidDataException>(() => cipher.Open(BlobType.Tree, buffer.AsSpan(0, length)));
    }

    [Fact]
    public void Seal_SamePlaintextTwice_GivesDifferentBytes()
    {
        using var cipher = new BlobCipher(s_key);

        Assert.NotEqual(cipher.Seal(BlobType.Data, "x"u8), cipher.Seal(BlobType.Data, "x"u8));
    }

    public static TheoryData<string> Tamperings => new() { "flip", "truncate", "other-type", "other-key" };

    [Theory]
    [MemberData(nameof(Tamperings))]
    public void Open_Tampered_Throws(string tampering)
    {
        using var cipher = new BlobCipher(s_key);
        var blob = cipher.Seal(BlobType.Index, "index content"u8);

        var e = Assert.Throws<InvalidDataException>(() =>
        {
            switch (tampering)
            {
                case "flip": blob[^20] ^= 1; cipher.Open(BlobType.Index, blob); break;
                case "truncate": cipher.Open(BlobType.Index, blob.AsSpan(0, blob.Length - 1)); break;
                case "other-type": cipher.Open(BlobType.Snapshot, blob); break;
                default:
                    using (var other = new BlobCipher(RandomNumberGenerator.GetBytes(32)))
                    {
                        other.Open(BlobType.Index, blob);
                    }
                    break;
            }
        });

        Assert.Contains("authentication", e.Message, StringComparison.Ordinal);
    }
}
