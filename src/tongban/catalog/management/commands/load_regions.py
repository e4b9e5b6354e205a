from django.core.management.base import BaseCommand

from tongban.catalog.models import Region
from tongban.catalog.regions import load


class Command(BaseCommand):
    help = "Insert or update the GB/T 2260 division list shipped in tongban/catalog/data/regions.csv."

    def handle(self, *args, **options) -> None:
        created, updated = load(Region)
        self.stdout.write(f"regions: {created} created, {updated} updated, {Region.objects.count()} in all")
