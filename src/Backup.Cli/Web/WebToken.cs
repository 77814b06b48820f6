using System.Security.Cryptography;
using System.Text;
using Backup.Core;
using Backup.Core.Posix;

namespace Backup.Cli.Web;

/// <summary>
/// The web page's access token: 32 random bytes, base64url, kept in <c>$XDG_CONFIG_HOME/backup/web-token</c> (folder
/// 0700, file 0600). Made on the first start crash-safely (a new file under a temporary name, flushed, renamed into
/// place, the folder flushed), read without following a symlink afterwards. A token file that others can read or
/// that another user owns, or a folder that another user owns or can write, is refused: the token restores files
/// anywhere this user can write, and whoever could plant the file would know it.
/// </summary>
internal static class WebToken
{
    private const int TokenBytes = 32;
    private const int MaxFileBytes = 4096;

    /// <summary>Where the token lives: <c>$XDG_CONFIG_HOME/backup/web-token</c>, else <c>~/.config/backup/web-token</c>.</summary>
    public static string PathFor(CliContext context) =>
        Path.Join(context.Variable("XDG_CONFIG_HOME") is { Length: > 0 } config ? context.FullPath(config) : Path.Join(context.Home(), ".config"), "backup", "web-token");

    /// <summary>
    /// The token in <paramref name="path"/>, made first when there is none (<c>Created</c> is then true). Throws
    /// <see cref="BackupException"/> naming the file.
    /// </summary>
    public static (string Token, bool Created) LoadOrCreate(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var folder = Path.GetDirectoryName(path)!;
        try
        {
            Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot make the folder of the web token {Formatting.Path(folder)}: {e.Message}");
        }
        CheckFolder(folder);
        var created = PosixFile.TryLstat(path) is null && Create(path, folder);
        return (Read(path), created);
    }

    /// <summary>
    /// Refuses a folder that another user owns or that group or others can write: whoever can write it can swap the
    /// token file for one whose token they know, and the daemon (often root) would take it.
    /// </summary>
    private static void CheckFolder(string folder)
    {
        FileStatus status;
        try
        {
            status = PosixFile.Lstat(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot examine the folder of the web token {Formatting.Path(folder)}: {e.Message}");
        }
        if (status.Type != FileType.Directory)
        {
            throw new BackupException($"the folder of the web token {Formatting.Path(folder)} is not a directory (a symlink?): remove it, and a new one is made at the next start");
        }
        if (status.Uid != PosixFile.EffectiveUserId)
        {
            throw new BackupException($"the folder of the web token {Formatting.Path(folder)} is owned by another user (uid {status.Uid}), who could replace the token: remove it, and a new one is made at the next start");
        }
        if ((status.Permissions & 0b000_010_010) != 0)
        {
            throw new BackupException($"the folder of the web token {Formatting.Path(folder)} is one other users can write (mode {Convert.ToString(status.Permissions, 8)}), so they could replace the token: chmod 700 it");
        }
    }

    /// <summary>True when <paramref name="candidate"/> is <paramref name="token"/>, compared in constant time.</summary>
    public static bool Matches(string? candidate, string token)
    {
        if (candidate is null)
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(candidate)), SHA256.HashData(Encoding.UTF8.GetBytes(token)));
    }

    /// <summary>The CSRF token that goes with <paramref name="token"/>: an HMAC of it, so that it proves the page read it from this server.</summary>
    public static string CsrfFor(string token) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "backup web csrf"u8));

    /// <summary>Writes a new token; false when another process made one first (that one is kept).</summary>
    private static bool Create(string path, string folder)
    {
        var temporary = Path.Join(folder, $".web-token.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var handle = PosixFile.CreateExclusive(temporary))
            {
                RandomAccess.Write(handle, Encoding.ASCII.GetBytes(Base64Url(RandomNumberGenerator.GetBytes(TokenBytes)) + "\n"), 0);
                PosixFile.Flush(handle, temporary);
            }
            // Not over a token another start made meanwhile: that one is read instead.
            File.Move(temporary, path, overwrite: false);
            PosixFile.FlushDirectory(folder);
            return true;
        }
        catch (IOException) when (PosixFile.TryLstat(path) is not null)
        {
            return false;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot write the web token {Formatting.Path(path)}: {e.Message}");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    private static string Read(string path)
    {
        string text;
        try
        {
            using var handle = PosixFile.OpenForReading(path);
            var status = PosixFile.Fstat(handle, path);
            if (status.Type != FileType.File)
            {
                throw new BackupException($"the web token {Formatting.Path(path)} is not a regular file: remove it, and a new token is made at the next start");
            }
            if (status.Uid != PosixFile.EffectiveUserId)
            {
                throw new BackupException($"the web token {Formatting.Path(path)} is owned by another user (uid {status.Uid}), who would know it: remove it, and a new token is made at the next start");
            }
            if ((status.Permissions & 0b000_111_111) != 0)
            {
                throw new BackupException($"the web token {Formatting.Path(path)} can be read by other users (mode {Convert.ToString(status.Permissions, 8)}): chmod 600 it, or remove it for a new one");
            }
            var bytes = new byte[Math.Min(status.Size, MaxFileBytes)];
            var read = RandomAccess.Read(handle, bytes, 0);
            text = Encoding.ASCII.GetString(bytes, 0, read).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new BackupException($"cannot read the web token {Formatting.Path(path)}: {e.Message}");
        }
        if (text.Length < 32 || !text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new BackupException($"the web token {Formatting.Path(path)} is not a token (32 or more letters, digits, - or _): remove it, and a new token is made at the next start");
        }
        return text;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
