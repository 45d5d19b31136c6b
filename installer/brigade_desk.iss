; Inno Setup 6 script for Brigade Desk (执法大队内勤台账). Needs Inno Setup 6.3 or newer.
;
;   py installer\build.py                         (builds dist\BrigadeDesk\, then calls ISCC if found)
;   "C:\Program Files (x86)\Inno Setup 6\ISCC.exe" installer\brigade_desk.iss
;
; Saved as UTF-8 with BOM (Chinese texts below).
; Optional defines: /DAppVersion=0.1.0  /DBundleDir=C:\path\to\dist\BrigadeDesk
; Output: dist\installer\BrigadeDesk-Setup-<version>.exe
;
; Install model: per user, NO administrator rights (PrivilegesRequired=lowest), program files in
; %LOCALAPPDATA%\Programs\BrigadeDesk, Start-menu entries in the user's own Start menu.
;
; THE CLERK'S DATA IS NEVER DELETED. The database, its backups and the logs live in
; %LOCALAPPDATA%\BrigadeDesk (brigade_desk.core.paths.data_dir(); logs in ...\BrigadeDesk\Logs), the window
; settings in HKCU\Software\BrigadeDesk. That folder is OUTSIDE {app}; this script has NO
; [UninstallDelete] section and nothing in it names the data folder, so neither an upgrade nor an
; uninstall touches it. Do not add an [UninstallDelete] or [InstallDelete] entry for it, ever.
; The only thing deleted on upgrade is the program's own library folder {app}\_internal (see
; [InstallDelete]) so that files of the old version (e.g. a removed migration) cannot linger.

#ifndef BundleDir
#define BundleDir AddBackslash(SourcePath) + "..\dist\BrigadeDesk"
#endif
#ifndef AppVersion
; The GUI executable carries the package version (brigade_desk.__version__) as ProductVersion.
#define AppVersion GetStringFileInfo(BundleDir + "\BrigadeDesk.exe", "ProductVersion")
#endif
#if AppVersion == ""
#error "Version unknown: build the bundle first (py installer\build.py) or pass /DAppVersion=x.y.z"
#endif

#define AppName "执法大队内勤台账"
#define AppExe "BrigadeDesk.exe"
#define CliExe "brigade-desk.exe"

[Setup]
; AppId is FIXED forever: every later version with the same AppId upgrades this installation in
; place (same folder, same uninstall entry) instead of installing a second copy. Never change it.
AppId={{7D3B8E21-4C5A-4F6B-9A2E-1B7C0D9E5F34}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Brigade Desk
VersionInfoVersion={#AppVersion}
VersionInfoProductName=Brigade Desk
VersionInfoDescription={#AppName} 安装程序
; Per user, no admin rights, no elevation prompt.
PrivilegesRequired=lowest
DefaultDirName={localappdata}\Programs\BrigadeDesk
UsePreviousAppDir=yes
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Relative paths are relative to this script's folder.
OutputDir=..\dist\installer
OutputBaseFilename=BrigadeDesk-Setup-{#AppVersion}
SetupIconFile=brigade_desk.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; Close a running Brigade Desk (Restart Manager) before replacing its files on upgrade.
CloseApplications=yes
RestartApplications=no
ShowLanguageDialog=auto

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
; Simplified Chinese wizard texts. ChineseSimplified.isl is an UNOFFICIAL Inno Setup translation
; (https://jrsoftware.org/files/istrans/; recent Inno Setup releases may ship it in Languages\):
; it is used when present in Inno Setup's Languages folder or next to this script; without it the
; wizard is English and the build still succeeds. The program itself is always Chinese.
#if FileExists(AddBackslash(CompilerPath) + "Languages\ChineseSimplified.isl")
#define HaveChinese
Name: "chinesesimp"; MessagesFile: "compiler:Languages\ChineseSimplified.isl"
#elif FileExists(AddBackslash(SourcePath) + "ChineseSimplified.isl")
#define HaveChinese
Name: "chinesesimp"; MessagesFile: "ChineseSimplified.isl"
#endif

[CustomMessages]
english.CliShortcut=Brigade Desk command line
english.DataKept=Your data has NOT been removed. The database, backups and logs remain in:%n%1%n%nInstalling Brigade Desk again will use them.
english.LaunchApp=Start {#AppName}
#ifdef HaveChinese
chinesesimp.CliShortcut=内勤台账命令行
chinesesimp.DataKept=程序已卸载，但您的数据没有被删除。数据库、备份和日志仍保存在：%n%1%n%n重新安装本程序后会继续使用这些数据。
chinesesimp.LaunchApp=启动{#AppName}
#endif

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"

[InstallDelete]
; Only the program's own bundled libraries (replaced in full below). NOT the data folder.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"
; A console in the user's Documents showing the command-line help. cmd /s /k strips exactly the
; outer quotes, so the program path may contain spaces: cmd /s /k ""C:\...\brigade-desk.exe" --help"
Name: "{autoprograms}\{cm:CliShortcut}"; Filename: "{cmd}"; Parameters: "/s /k """"{app}\{#CliExe}"" --help"""; WorkingDir: "{userdocs}"; IconFilename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{app}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchApp}"; Flags: nowait postinstall skipifsilent

; No [UninstallDelete] section on purpose: see the header. The uninstaller removes only the files
; this setup installed into {app}.

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
var
  DataDir: String;
begin
  if CurUninstallStep = usPostUninstall then
  begin
    DataDir := ExpandConstant('{localappdata}\BrigadeDesk');
    if DirExists(DataDir) and not UninstallSilent then
      MsgBox(FmtMessage(CustomMessage('DataKept'), [DataDir]), mbInformation, MB_OK);
  end;
end;
