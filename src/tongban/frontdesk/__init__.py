"""The one-window front desk (一窗通办): queue tickets, calling to windows, appointments, hall figures."""
