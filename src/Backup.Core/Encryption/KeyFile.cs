using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using NSec.Cryptography;

namespace Backup.Core.Encryption;

/// <summary>
/// A repository key file (docs/repository.md, "Keys and encryption"): 64 bytes of random master key material wrapped
/// with AES-256-GCM under a key derived from the password by Argon2id. Immutable.
/// </summary>
public sealed record KeyFile
{
    /// <summary>KDF id of Argon2id; permanent.</summary>
    public const string Argon2id = "argon2id";

    /// <summary>
    /// KDF id of a repository made with <c>init --no-encryption</c>: the master key is stored as is, so no password is
    /// needed and anyone who can read the folder can read the data; blobs are still authenticated. Permanent.
    /// </summary>
    public const string None = "none";

    /// <summary>True when this key opens without a password.</summary>
    [JsonIgnore] public bool NeedsPassword => Kdf != None;

    /// <summary>A key file that keeps <paramref name="master"/> in the clear (<see cref="None"/>).</summary>
    public static KeyFile CreateUnprotected(byte[] master) => new() { Kdf = None, Salt = [], Wrapped = master };

    /// <summary>Key file format version.</summary>
    [JsonPropertyName("version")] public int Version { get; init; } = 1;

    /// <summary>The KDF's name.</summary>
    [JsonPropertyName("kdf")] public string Kdf { get; init; } = Argon2id;

    /// <summary>Argon2 memory in KiB.</summary>
    [JsonPropertyName("m")] public int MemoryKiB { get; init; }

    /// <summary>Argon2 passes.</summary>
    [JsonPropertyName("t")] public int Iterations { get; init; }

    /// <summary>Argon2 lanes.</summary>
    [JsonPropertyName("p")] public int Parallelism { get; init; }

    /// <summary>16 random bytes.</summary>
    [JsonPropertyName("salt")] public required byte[] Salt { get; init; }

    /// <summary>The sealed master key material.</summary>
    [JsonPropertyName("wrapped")] public required byte[] Wrapped { get; init; }

    /// <summary>When the key was added; optional (null in key files written before it was recorded), for display only.</summary>
    [JsonPropertyName("created")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? Created { get; init; }

    /// <summary>Makes new master key material and a key file that wraps it under <paramref name="password"/>.</summary>
    public static (KeyFile File, byte[] MasterKey) Create(string password, KdfParameters? kdf = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        var master = RandomNumberGenerator.GetBytes(64);
        return (Wrap(master, password, kdf), master);
    }

    /// <summary>
    /// A new key file that wraps existing <paramref name="master"/> key material (64 bytes) under
    /// <paramref name="password"/>, with a fresh salt: another password for the same repository.
    /// </summary>
    public static KeyFile Wrap(ReadOnlySpan<byte> master, string password, KdfParameters? kdf = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (master.Length != 64)
        {
            throw new ArgumentException("the master key material must be 64 bytes", nameof(master));
        }
        kdf ??= new KdfParameters();
        var salt = RandomNumberGenerator.GetBytes(16);
        var wrappingKey = Derive(password, salt, kdf.MemoryKiB, kdf.Iterations, kdf.Parallelism);
        using var cipher = new BlobCipher(wrappingKey);
        CryptographicOperations.ZeroMemory(wrappingKey);
        return new KeyFile
        {
            MemoryKiB = kdf.MemoryKiB,
            Iterations = kdf.Iterations,
            Parallelism = kdf.Parallelism,
            Salt = salt,
            Wrapped = cipher.Seal(BlobType.Config, master),
        };
    }

    /// <summary>The master key material; throws <see cref="WrongPasswordException"/> when the password does not open it.</summary>
    public byte[] Unlock(string password)
    {
        if (Kdf == None && Version == 1 && Wrapped.Length == 64)
        {
            return [.. Wrapped];
        }
        ArgumentNullException.ThrowIfNull(password);
        if (Kdf != Argon2id || Version != 1)
        {
            throw new InvalidDataException($"key file uses an unknown KDF or version ({Kdf}, {Version})");
        }
        var wrappingKey = Derive(password, Salt, MemoryKiB, Iterations, Parallelism);
        using var cipher = new BlobCipher(wrappingKey);
        CryptographicOperations.ZeroMemory(wrappingKey);
        try
        {
            return cipher.Open(BlobType.Config, Wrapped);
        }
        catch (InvalidDataException)
        {
            throw new WrongPasswordException();
        }
    }

    /// <summary>The key file as stored.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, KeyFileJson.Default.KeyFile);

    /// <summary>Reads a stored key file; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static KeyFile Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, KeyFileJson.Default.KeyFile) ?? throw new InvalidDataException("empty key file");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException("not a key file", e);
        }
    }

    internal static byte[] Derive(string password, byte[] salt, int memoryKiB, int iterations, int parallelism)
    {
        // libsodium (through NSec) computes only one lane; it is what every key this version writes asks for.
        if (parallelism != 1)
        {
            throw new InvalidDataException($"key file asks for Argon2id with {parallelism} lanes; this version supports 1");
        }
        var algorithm = PasswordBasedKeyDerivationAlgorithm.Argon2id(new Argon2Parameters
        {
            DegreeOfParallelism = 1,
            MemorySize = memoryKiB,
            NumberOfPasses = iterations,
        });
        // The password's UTF-8 bytes as they are: NSec's string overload would normalise them first.
        var passwordBytes = Encoding.UTF8.GetBytes(password);
        try
        {
            return algorithm.DeriveBytes(passwordBytes, salt, 32);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(passwordBytes);
        }
    }
}

/// <summary>Source-generated JSON for <see cref="KeyFile"/>.</summary>
[JsonSerializable(typeof(KeyFile))]
internal sealed partial class KeyFileJson : JsonSerializerContext;
