namespace Backup.Storage.Sftp;
