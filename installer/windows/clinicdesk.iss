; Inno Setup 6 script: the per-machine ClinicDesk installer for 64-bit Windows 10 and 11.
;
; installer/build.py compiles it after PyInstaller has built dist\clinicdesk:
;   ISCC.exe /DAppVersion=0.1.0 /DSourceDir=dist\clinicdesk /DIconFile=build\icons\clinicdesk.ico
;            /Odist installer\windows\clinicdesk.iss
;
; Upgrades: a newer installer run over an installed version replaces the program folder
; in place (same AppId, same folder) and keeps everything else. The database, its key file,
; the backups and the log are per-user files under %LOCALAPPDATA%\ClinicDesk, which this
; installer never writes to, and the uninstaller never removes them either.

#ifndef AppVersion
  #error Pass the version: ISCC.exe /DAppVersion=X.Y.Z
#endif
#ifndef SourceDir
  #define SourceDir "..\..\dist\clinicdesk"
#endif
#ifndef IconFile
  #define IconFile "..\..\build\icons\clinicdesk.ico"
#endif

[Setup]
; The AppId identifies ClinicDesk to Windows across versions. Never change it: a new AppId
; would install a second copy beside the first instead of upgrading it.
AppId={{CD7EEB98-20F0-4A99-818D-9EC56D66C906}
AppName=ClinicDesk
AppVersion={#AppVersion}
AppVerName=ClinicDesk {#AppVersion}
AppPublisher=ClinicDesk
VersionInfoVersion={#AppVersion}
DefaultDirName={autopf}\ClinicDesk
DefaultGroupName=ClinicDesk
DisableProgramGroupPage=yes
; Per-machine: one copy under Program Files for every user of the workstation.
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
; Close a running ClinicDesk (through the Restart Manager) before files are replaced.
CloseApplications=yes
RestartApplications=no
UninstallDisplayIcon={app}\clinicdesk.exe
UninstallDisplayName=ClinicDesk
SetupIconFile={#IconFile}
OutputBaseFilename=ClinicDesk-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; PyInstaller keeps libraries in _internal. Removing the previous version's copy first
; means no library from an older release is left beside the new ones.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#SourceDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\ClinicDesk"; Filename: "{app}\clinicdesk.exe"
Name: "{autodesktop}\ClinicDesk"; Filename: "{app}\clinicdesk.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\clinicdesk.exe"; Description: "{cm:LaunchProgram,ClinicDesk}"; Flags: nowait postinstall skipifsilent
