"""API shapes of the front desk. Tickets and the board carry numbers, never who holds them; write
serializers only describe the request (for the schema), the commands check the meaning."""

from __future__ import annotations

from rest_framework import serializers

from tongban.frontdesk.models import Appointment, QueueTicket


class QueueTicketSerializer(serializers.ModelSerializer):
    hall = serializers.IntegerField(source="hall_id", read_only=True, help_text="id of the hall")
    day = serializers.DateField(read_only=True, help_text="the day the ticket is valid for")
    category = serializers.CharField(read_only=True, help_text="queue category letter (A … E)")
    number = serializers.CharField(read_only=True, help_text="the number called out, e.g. A012")
    priority = serializers.IntegerField(
        read_only=True, help_text="1 for an appointment check-in (called first), else 0"
    )
    status = serializers.CharField(read_only=True, help_text="waiting, called, serving, done, no_show or cancelled")
    taken_at = serializers.DateTimeField(read_only=True, help_text="when the ticket was taken")
    called_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="when it was first called")
    recalls = serializers.IntegerField(read_only=True, help_text="how often the number was called again")
    started_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="when service began")
    finished_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="when service ended")
    closed_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text="when it was marked absent or cancelled"
    )
    window = serializers.IntegerField(
        source="window_id", read_only=True, allow_null=True, help_text="id of the window it was called to"
    )
    window_number = serializers.SerializerMethodField(help_text="number of that window, e.g. 05")
    implementation = serializers.SerializerMethodField(help_text="implementation code of the item, if chosen")
    appointment = serializers.IntegerField(
        source="appointment_id", read_only=True, allow_null=True, help_text="id of the appointment it checks in"
    )

    class Meta:
        model = QueueTicket
        fields = [
            "id",
            "hall",
            "day",
            "category",
            "number",
            "priority",
            "status",
            "taken_at",
            "called_at",
            "recalls",
            "started_at",
            "finished_at",
            "closed_at",
            "window",
            "window_number",
            "implementation",
            "appointment",
        ]

    def get_window_number(self, obj: QueueTicket) -> str | None:
        return obj.window.number if obj.window_id else None

    def get_implementation(self, obj: QueueTicket) -> str | None:
        return obj.implementation.implementation_code if obj.implementation_id else None


class TakenQueueTicketSerializer(QueueTicketSerializer):
    waiting_ahead = serializers.IntegerField(read_only=True, help_text="tickets of the category called before it")

    class Meta(QueueTicketSerializer.Meta):
        fields = [*QueueTicketSerializer.Meta.fields, "waiting_ahead"]


class TakeQueueTicketSerializer(serializers.Serializer):
    hall = serializers.IntegerField(help_text="id of the hall")
    category = serializers.CharField(
        help_text="queue category letter: A 综合受理, B 不动产, C 社保医保, D 企业开办, E 一件事"
    )
    implementation = serializers.CharField(
        required=False, allow_blank=True, help_text="implementation code of the item, when the visitor knows it"
    )


class EmptySerializer(serializers.Serializer):
    """No body."""


class AppointmentSerializer(serializers.ModelSerializer):
    hall = serializers.IntegerField(source="hall_id", read_only=True, help_text="id of the hall")
    implementation = serializers.SerializerMethodField(help_text="implementation code of the item booked for")
    category = serializers.CharField(read_only=True, help_text="queue category the check-in ticket joins")
    slot_start = serializers.DateTimeField(read_only=True, help_text="start of the slot")
    slot_minutes = serializers.IntegerField(read_only=True, help_text="length of the slot in minutes")
    person = serializers.IntegerField(source="person_id", read_only=True, help_text="id of the person booked for")
    status = serializers.CharField(read_only=True, help_text="booked, checked_in, cancelled or no_show")
    created_at = serializers.DateTimeField(read_only=True, help_text="when it was booked")
    checked_in_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="when the person checked in")
    cancelled_at = serializers.DateTimeField(read_only=True, allow_null=True, help_text="when it was cancelled")
    ticket = serializers.SerializerMethodField(help_text="number of the ticket its check-in gave, if any")

    class Meta:
        model = Appointment
        fields = [
            "id",
            "hall",
            "implementation",
            "category",
            "slot_start",
            "slot_minutes",
            "person",
            "status",
            "created_at",
            "checked_in_at",
            "cancelled_at",
            "ticket",
        ]

    def get_implementation(self, obj: Appointment) -> str:
        return obj.implementation.implementation_code

    def get_ticket(self, obj: Appointment) -> str | None:
        ticket = getattr(obj, "ticket", None) if obj.status == "checked_in" else None
        return ticket.number if ticket else None


class BookSerializer(serializers.Serializer):
    hall = serializers.IntegerField(help_text="id of the hall")
    implementation = serializers.CharField(help_text="implementation code of the item")
    slot_start = serializers.DateTimeField(help_text="start of a half-hour slot, ISO 8601 with offset")
    person = serializers.IntegerField(
        required=False, help_text="id of the person booked for; clerks only, applicants book for themselves"
    )


class QueueCategorySerializer(serializers.Serializer):
    category = serializers.CharField(help_text="queue category letter")
    name = serializers.CharField(help_text="name of the category")
    waiting = serializers.IntegerField(help_text="tickets waiting in it now")


class QueueWindowSerializer(serializers.Serializer):
    window = serializers.CharField(help_text="window number")
    window_name = serializers.CharField(help_text="window name")
    number = serializers.CharField(help_text="ticket number at the window")
    status = serializers.CharField(help_text="called (on the way) or serving")
    recalls = serializers.IntegerField(help_text="how often the number was called again")


class QueueSerializer(serializers.Serializer):
    hall = serializers.IntegerField(help_text="id of the hall")
    day = serializers.DateField(help_text="today")
    categories = QueueCategorySerializer(many=True, help_text="waiting per category")
    windows = QueueWindowSerializer(many=True, help_text="the ticket at each busy window")


class DurationsSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="how many tickets the times are of")
    average = serializers.FloatField(allow_null=True, help_text="average in seconds")
    p90 = serializers.FloatField(allow_null=True, help_text="90th percentile (nearest rank) in seconds")


class WindowFiguresSerializer(serializers.Serializer):
    window = serializers.IntegerField(help_text="id of the window")
    number = serializers.CharField(help_text="window number")
    called = serializers.IntegerField(help_text="tickets called to it")
    finished = serializers.IntegerField(help_text="tickets served to the end")
    handling_average = serializers.FloatField(allow_null=True, help_text="average handling time in seconds")
    handling_p90 = serializers.FloatField(allow_null=True, help_text="90th percentile handling time in seconds")


class CategoryFiguresSerializer(serializers.Serializer):
    taken = serializers.IntegerField(help_text="tickets taken")
    done = serializers.IntegerField(help_text="tickets served to the end")
    no_show = serializers.IntegerField(help_text="tickets called whose holder did not come")
    waiting = serializers.IntegerField(help_text="tickets still waiting")


class DepartmentFiguresSerializer(serializers.Serializer):
    department = serializers.IntegerField(help_text="id of the handling department")
    name = serializers.CharField(help_text="the department's name")
    received = serializers.IntegerField(help_text="cases that arrived in the hall's region in the range")
    completed = serializers.IntegerField(help_text="of them, completed (办结) so far")
    refused = serializers.IntegerField(help_text="of them, refused acceptance or denied so far")


class FiguresSerializer(serializers.Serializer):
    date_from = serializers.DateField(help_text="first day counted")
    date_to = serializers.DateField(help_text="last day counted")
    tickets = serializers.IntegerField(help_text="tickets taken")
    no_shows = serializers.IntegerField(help_text="tickets whose holder did not come when called")
    waiting = DurationsSerializer(help_text="waiting time, taken to first called")
    per_category = serializers.DictField(
        child=CategoryFiguresSerializer(), help_text="counts per queue category letter"
    )
    per_window = WindowFiguresSerializer(many=True, help_text="calls and handling time per window")
    per_department = DepartmentFiguresSerializer(many=True, help_text="cases received per handling department")
