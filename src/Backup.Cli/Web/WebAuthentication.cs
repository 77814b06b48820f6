using System.Net;
using System.Security.Cryptography;
using System.Text;
using Backup.Core;
using Microsoft.AspNetCore.Http;

namespace Backup.Cli.Web;

/// <summary>
/// The gate every request passes. <c>/?token=…</c> with the right token sets an HttpOnly, SameSite=Strict cookie and
/// redirects to the page without it; any other request needs that cookie or <c>Authorization: Bearer TOKEN</c>
/// (Prometheus), else 401. A request that changes something (any method but GET and HEAD) also needs the header
/// <c>X-CSRF-Token</c> with the value <c>/api/session</c> gives (an HMAC of the token), else 403: another site can
/// make a browser send the cookie, never read or set that header. Tokens are compared in constant time. Errors
/// thrown by the endpoints become JSON here. On a loopback address, a request whose <c>Host</c> is not a loopback name
/// (<c>127.0.0.1</c>, <c>localhost</c>, <c>[::1]</c>, the listen address) with the listen port is answered 421 before
/// anything else: a page of another site can rebind its own name to 127.0.0.1 (DNS rebinding) and then send requests
/// the browser counts as same-origin for that site.
/// </summary>
internal sealed class WebAuthentication(string token, WebListen listen)
{
    /// <summary>The cookie's name.</summary>
    public const string Cookie = "backup-token";

    /// <summary>The header a state-changing request carries.</summary>
    public const string CsrfHeader = "X-CSRF-Token";

    private readonly byte[] _csrf = Encoding.ASCII.GetBytes(WebToken.CsrfFor(token));

    /// <summary>The middleware.</summary>
    public async Task InvokeAsync(HttpContext http, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(next);
        var headers = http.Response.Headers;
        headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'";
        headers["X-Content-Type-Options"] = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cache-Control"] = "no-store";
        if (IPAddress.IsLoopback(listen.Address) && !LoopbackHost(http.Request.Host))
        {
            await Refuse(http, StatusCodes.Status421MisdirectedRequest,
                $"this daemon answers only at {listen.Url} (or localhost): the request named another host");
            return;
        }
        if (http.Request.Query.TryGetValue("token", out var given))
        {
            if (!WebToken.Matches(given.ToString(), token))
            {
                await Refuse(http, StatusCodes.Status401Unauthorized, "wrong token: open the address the daemon printed, or read the token file");
                return;
            }
            http.Response.Cookies.Append(Cookie, token, new CookieOptions { HttpOnly = true, SameSite = SameSiteMode.Strict, Secure = listen.Tls, Path = "/", IsEssential = true });
            http.Response.Redirect("/", permanent: false);
            return;
        }
        if (!Authenticated(http.Request))
        {
            await Refuse(http, StatusCodes.Status401Unauthorized,
                "no token: open the address 'backup daemon --listen' printed (http://ADDRESS/?token=…), with the token from $XDG_CONFIG_HOME/backup/web-token");
            return;
        }
        if (!HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method) && !CsrfValid(http.Request))
        {
            await Refuse(http, StatusCodes.Status403Forbidden, $"missing or wrong {CsrfHeader} header: a change is accepted only from the page itself");
            return;
        }
        try
        {
            await next(http);
        }
        catch (Exception e) when (!http.Response.HasStarted && Status(e) is { } status)
        {
            await Refuse(http, status, e.Message);
        }
    }

    private bool LoopbackHost(HostString host)
    {
        if (!host.HasValue || (host.Port is { } port && port != listen.Port))
        {
            return false;
        }
        var name = host.Host;
        if (name.StartsWith('[') && name.EndsWith(']'))
        {
            name = name[1..^1];
        }
        // An address literal is never a rebound name; a name other than localhost may be.
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(name, out var address) && IPAddress.IsLoopback(address));
    }

    private bool Authenticated(HttpRequest request)
    {
        if (request.Cookies.TryGetValue(Cookie, out var cookie) && WebToken.Matches(cookie, token))
        {
            return true;
        }
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.Ordinal) && WebToken.Matches(authorization["Bearer ".Length..].Trim(), token);
    }

    private bool CsrfValid(HttpRequest request) =>
        request.Headers.TryGetValue(CsrfHeader, out var value)
        && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.ASCII.GetBytes(value.ToString())), SHA256.HashData(_csrf));

    /// <summary>The status an expected failure is answered with; null for a bug (left to the server, a 500).</summary>
    private static int? Status(Exception e) => e switch
    {
        WebRequestException w => w.Status,
        BadHttpRequestException b => b.StatusCode,
        System.Text.Json.JsonException => StatusCodes.Status400BadRequest,
        BackupException => StatusCodes.Status409Conflict,
        InvalidDataException or IOException or UnauthorizedAccessException => StatusCodes.Status500InternalServerError,
        _ => null,
    };

    private static Task Refuse(HttpContext http, int status, string message)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = message });
    }
}
