using System.Globalization;
using System.Net;
using Backup.Core;

namespace Backup.Cli.Web;

/// <summary>
/// Where <c>backup daemon --listen ADDR:PORT</c> serves the page and <c>/metrics</c>: a loopback address unless
/// <see cref="Public"/>, which requires TLS (<see cref="CertificateFile"/>, PEM with the key, or a certificate and
/// <see cref="KeyFile"/>).
/// </summary>
internal sealed record WebListen(IPAddress Address, int Port, bool Public, string? CertificateFile, string? KeyFile)
{
    /// <summary>True when served over TLS.</summary>
    public bool Tls => CertificateFile is not null;

    /// <summary>The page's address as a browser writes it.</summary>
    public string Url => string.Create(CultureInfo.InvariantCulture,
        $"{(Tls ? "https" : "http")}://{(Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]" : Address.ToString())}:{Port}/");

    /// <summary>
    /// Parses <c>ADDR:PORT</c> (<c>127.0.0.1:9911</c>, <c>[::1]:9911</c>, <c>localhost:9911</c>) and checks the
    /// options that go with it. Throws <see cref="BackupException"/> with exit 2 for a usage error.
    /// </summary>
    public static WebListen Parse(string text, bool listenPublic, string? certificate, string? key)
    {
        ArgumentNullException.ThrowIfNull(text);
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw Usage($"invalid --listen '{text}': give ADDRESS:PORT, such as 127.0.0.1:9911");
        }
        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }
        var address = host == "localhost" ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed) ? parsed
            : throw Usage($"invalid --listen '{text}': '{host}' is not an IP address (give 127.0.0.1, ::1 or an address of this machine)");
        if (!IPAddress.IsLoopback(address) && !listenPublic)
        {
            throw Usage($"--listen {text} is not a loopback address: anyone who can reach it could try the page; give --listen-public (with --tls-cert) to mean it");
        }
        if (listenPublic && certificate is null)
        {
            throw Usage("--listen-public requires --tls-cert FILE: the token and your files must not cross the network in clear");
        }
        if (key is not null && certificate is null)
        {
            throw Usage("--tls-key applies only with --tls-cert");
        }
        return new WebListen(address, port, listenPublic, certificate, key);
    }

    private static BackupException Usage(string message) => new(message, ExitCodes.Usage);
}
