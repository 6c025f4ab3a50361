"""What the demo (``kiosk demo``) signs in with: published in its help, never used outside the demo."""

DEMO_TECHNICIAN_PIN = "123456"
DEMO_STAFF = ("D001", "李代办", "2468", "STAFF-D001")  # id, name, PIN, badge code
