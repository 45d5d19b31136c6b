from brigade_desk.app.cli import main

raise SystemExit(main())
