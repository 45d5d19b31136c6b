from brigade_desk.cli import main

raise SystemExit(main())
