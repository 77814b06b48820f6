using System.Security.Cryptography;

namespace Backup.Core.Encryption;

/// <summary>
/// Seals and opens repository blobs with AES-256-GCM (cipher id 1 of docs/repository.md): <c>version (1) || nonce (12,
/// random) || ciphertext || tag (16)</c>, with the blob type as associated data. Any change to a sealed blob, or a blob
/// of another type or key, fails to open. Thread-safe.
/// </summary>
public sealed class BlobCipher : IDisposable
{
    /// <summary>The framing version byte; permanent.</summary>
    public const byte Version = 1;

    /// <summary>Bytes a sealed blob adds to its plaintext.</summary>
    public const int Overhead = 1 + NonceSize + TagSize;

    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly byte[] _key;

    /// <summary>Creates a cipher over a 32-byte data key. The key is copied.</summary>
    public BlobCipher(ReadOnlySpan<byte> dataKey)
    {
        if (dataKey.Length != 32)
        {
            throw new ArgumentException("the data key must be 32 bytes", nameof(dataKey));
        }
        _key = dataKey.ToArray();
    }

    /// <summary>Encrypts and authenticates <paramref name="plaintext"/> as a blob of <paramref name="type"/>.</summary>
    public byte[] Seal(BlobType type, ReadOnlySpan<byte> plaintext)
    {
        var sealedBlob = new byte[Overhead + plaintext.Length];
        Seal(type, plaintext, sealedBlob);
        return sealedBlob;
    }

    /// <summary>Seals into <paramref name="destination"/>, which must hold <see cref="Overhead"/> more bytes than the plaintext; returns the length written.</summary>
    public int Seal(BlobType type, ReadOnlySpan<byte> plaintext, Span<byte> destination)
    {
        var length = Overhead + plaintext.Length;
        var sealedBlob = destination[..length];
        sealedBlob[0] = Version;
        var nonce = sealedBlob.Slice(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, plaintext, sealedBlob.Slice(1 + NonceSize, plaintext.Length), sealedBlob[(1 + NonceSize + plaintext.Length)..], [(byte)type]);
        return length;
    }

    /// <summary>Where <see cref="SealInPlace"/> expects the plaintext in its buffer.</summary>
    public const int PlaintextOffset = 1 + NonceSize;

    /// <summary>
    /// Seals the <paramref name="plaintextLength"/> bytes at <see cref="PlaintextOffset"/> of <paramref name="buffer"/>
    /// where they lie (the buffer holds <see cref="Overhead"/> more bytes than the plaintext); returns the sealed length.
    /// Saves a second buffer per blob.
    /// </summary>
    public int SealInPlace(BlobType type, Span<byte> buffer, int plaintextLength)
    {
        var length = Overhead + plaintextLength;
        var sealedBlob = buffer[..length];
        sealedBlob[0] = Version;
        var nonce = sealedBlob.Slice(1, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var text = sealedBlob.Slice(PlaintextOffset, plaintextLength);
        using var aes = new AesGcm(_key, TagSize);
        aes.Encrypt(nonce, text, text, sealedBlob[(PlaintextOffset + plaintextLength)..], [(byte)type]);
        return length;
    }

    /// <summary>
    /// Checks and decrypts a sealed blob into <paramref name="destination"/> (at least the sealed length less
    /// <see cref="Overhead"/>); returns the plaintext length. Throws as <see cref="Open(BlobType, ReadOnlySpan{byte})"/>.
    /// </summary>
    public int Open(BlobType type, ReadOnlySpan<byte> sealedBlob, Span<byte> destination)
    {
        if (sealedBlob.Length < Overhead || sealedBlob[0] != Version)
        {
            throw new InvalidDataException("encrypted blob is truncated or of an unknown version");
        }
        var length = sealedBlob.Length - Overhead;
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(sealedBlob.Slice(1, NonceSize), sealedBlob.Slice(1 + NonceSize, length), sealedBlob[(1 + NonceSize + length)..], destination[..length], [(byte)type]);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new InvalidDataException("encrypted blob failed authentication (damaged, swapped or forged)", e);
        }
        return length;
    }

    /// <summary>
    /// Checks and decrypts a sealed blob. Throws <see cref="InvalidDataException"/> when it was changed, is truncated,
    /// is of another type, or was sealed under another key.
    /// </summary>
    public byte[] Open(BlobType type, ReadOnlySpan<byte> sealedBlob)
    {
        if (sealedBlob.Length < Overhead || sealedBlob[0] != Version)
        {
            throw new InvalidDataException("encrypted blob is truncated or of an unknown version");
        }
        var length = sealedBlob.Length - Overhead;
        var plaintext = new byte[length];
        using var aes = new AesGcm(_key, TagSize);
        try
        {
            aes.Decrypt(sealedBlob.Slice(1, NonceSize), sealedBlob.Slice(1 + NonceSize, length), sealedBlob[(1 + NonceSize + length)..], plaintext, [(byte)type]);
        }
        catch (AuthenticationTagMismatchException e)
        {
            throw new InvalidDataException("encrypted blob failed authentication (damaged, swapped or forged)", e);
        }
        return plaintext;
    }

    /// <inheritdoc/>
    public void Dispose() => CryptographicOperations.ZeroMemory(_key);
}
