import OcoreCLI

OcoreMain.main()
